package signalr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// restTokenLifetime is how long a signed REST token is valid, as the service SDKs do.
	restTokenLifetime = time.Hour
	// restTokenRefreshMargin is how long before expiry a cached token is replaced.
	restTokenRefreshMargin = 5 * time.Minute
	// maxCachedAudiences bounds the token cache: one entry per distinct request path.
	maxCachedAudiences = 1024
)

// accessKeyPolicy signs each request attempt with an HS256 JWT whose audience is the request URL
// without query. Tokens are cached per audience until near expiry: signing is a hot path.
type accessKeyPolicy struct {
	key *AccessKeyCredential
	now func() time.Time

	mu     sync.Mutex
	tokens map[string]cachedToken
}

type cachedToken struct {
	bearer     string
	refreshAt  time.Time
	keyVersion uint64
}

func newAccessKeyPolicy(key *AccessKeyCredential) *accessKeyPolicy {
	return &accessKeyPolicy{key: key, now: time.Now, tokens: map[string]cachedToken{}}
}

func (p *accessKeyPolicy) Do(req *policy.Request) (*http.Response, error) {
	u := req.Raw().URL
	// Built in a stack buffer: a cache hit, the common case, then allocates nothing.
	var buf [256]byte
	audience := append(append(append(append(buf[:0], u.Scheme...), "://"...), u.Host...), u.EscapedPath()...)
	bearer, err := p.tokenFor(audience)
	if err != nil {
		return nil, err
	}
	req.Raw().Header["Authorization"] = []string{bearer}
	return req.Next()
}

func (p *accessKeyPolicy) token(audience string) (string, error) {
	return p.tokenFor([]byte(audience))
}

func (p *accessKeyPolicy) tokenFor(audienceBytes []byte) (string, error) {
	key, version := p.key.keyAndVersion()
	if key == "" {
		// HMAC accepts an empty key; the service would answer 401 to every attempt.
		return "", &signingError{err: errors.New("the access key is empty")}
	}
	now := p.now()
	p.mu.Lock()
	cached, ok := p.tokens[string(audienceBytes)] // no allocation for the lookup
	p.mu.Unlock()
	if ok && cached.keyVersion == version && now.Before(cached.refreshAt) {
		return cached.bearer, nil
	}
	audience := string(audienceBytes)
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Audience:  jwt.ClaimStrings{audience},
		ExpiresAt: jwt.NewNumericDate(now.Add(restTokenLifetime)),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
	}).SignedString([]byte(key))
	if err != nil {
		return "", &signingError{err: err}
	}
	bearer := "Bearer " + signed
	p.mu.Lock()
	if len(p.tokens) >= maxCachedAudiences {
		clear(p.tokens)
	}
	p.tokens[audience] = cachedToken{bearer: bearer, refreshAt: now.Add(restTokenLifetime - restTokenRefreshMargin), keyVersion: version}
	p.mu.Unlock()
	return bearer, nil
}

// signingError is returned when a request cannot be signed; retrying cannot help.
type signingError struct{ err error }

func (e *signingError) Error() string {
	// The underlying jwt error never contains the key, but keep the message fixed anyway.
	return fmt.Sprintf("signalr: signing the request with the access key failed: %s", strings.TrimPrefix(e.err.Error(), "token "))
}
func (e *signingError) Unwrap() error { return e.err }
func (e *signingError) NonRetriable() {}
