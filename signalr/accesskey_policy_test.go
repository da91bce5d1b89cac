package signalr

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable time source.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// policyPipeline runs only the access key policy against f.
func policyPipeline(t *testing.T, f *fakeService, p *accessKeyPolicy) func(path string) recordedRequest {
	t.Helper()
	pl := runtime.NewPipeline("test", "v0.0.1", runtime.PipelineOptions{PerRetry: []policy.Policy{p}},
		&policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}})
	return func(path string) recordedRequest {
		req, err := runtime.NewRequest(context.Background(), http.MethodPost, f.URL+path+"?api-version=x&application=y")
		require.NoError(t, err)
		resp, err := pl.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		return f.last(t)
	}
}

func TestAccessKeyPolicyTokens(t *testing.T) {
	f := newFakeService(t, nil)
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	key := NewAccessKeyCredential("key-one")
	p := newAccessKeyPolicy(key)
	p.now = clock.Now
	send := policyPipeline(t, f, p)

	parse := func(r recordedRequest, secret string) (*jwt.Token, jwt.RegisteredClaims, error) {
		var claims jwt.RegisteredClaims
		tok, err := jwt.ParseWithClaims(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), &claims,
			func(*jwt.Token) (any, error) { return []byte(secret), nil },
			jwt.WithTimeFunc(clock.Now), jwt.WithAudience(f.URL+r.Path))
		return tok, claims, err
	}

	first := send("/api/hubs/chat/:send")
	tok, claims, err := parse(first, "key-one")
	require.NoError(t, err)
	assert.Equal(t, "HS256", tok.Header["alg"])
	assert.Equal(t, jwt.ClaimStrings{f.URL + "/api/hubs/chat/:send"}, claims.Audience, "aud is the URL without query")
	assert.Equal(t, clock.Now().Unix(), claims.IssuedAt.Unix())
	assert.Equal(t, clock.Now().Unix(), claims.NotBefore.Unix())
	assert.Equal(t, clock.Now().Add(time.Hour).Unix(), claims.ExpiresAt.Unix())

	t.Run("cached per audience", func(t *testing.T) {
		clock.Advance(30 * time.Minute)
		again := send("/api/hubs/chat/:send")
		assert.Equal(t, first.Header.Get("Authorization"), again.Header.Get("Authorization"))
		other := send("/api/hubs/chat/users/u/:send")
		assert.NotEqual(t, first.Header.Get("Authorization"), other.Header.Get("Authorization"))
		_, _, err := parse(other, "key-one")
		require.NoError(t, err)
	})
	t.Run("replaced shortly before expiry", func(t *testing.T) {
		clock.Advance(26 * time.Minute) // 56 minutes after signing: inside the refresh margin
		renewed := send("/api/hubs/chat/:send")
		assert.NotEqual(t, first.Header.Get("Authorization"), renewed.Header.Get("Authorization"))
		_, claims, err := parse(renewed, "key-one")
		require.NoError(t, err)
		assert.Equal(t, clock.Now().Add(time.Hour).Unix(), claims.ExpiresAt.Unix())
	})
	t.Run("key rotation discards cached tokens", func(t *testing.T) {
		before := send("/api/hubs/chat/:send")
		key.Update("key-two")
		after := send("/api/hubs/chat/:send")
		assert.NotEqual(t, before.Header.Get("Authorization"), after.Header.Get("Authorization"))
		_, _, err := parse(after, "key-two")
		require.NoError(t, err)
		_, _, err = parse(after, "key-one")
		require.ErrorIs(t, err, jwt.ErrSignatureInvalid)
	})
	t.Run("the key is used as UTF-8 bytes, not base64-decoded", func(t *testing.T) {
		key.Update("w6TDtsO8") // valid base64 of "äöü"
		r := send("/api/hubs/chat/:send")
		_, _, err := parse(r, "w6TDtsO8")
		require.NoError(t, err)
		_, _, err = parse(r, "äöü")
		require.ErrorIs(t, err, jwt.ErrSignatureInvalid)
	})
}

func TestAccessKeyPolicyCacheIsBounded(t *testing.T) {
	f := newFakeService(t, nil)
	p := newAccessKeyPolicy(NewAccessKeyCredential("k"))
	send := policyPipeline(t, f, p)
	for i := 0; i < maxCachedAudiences+10; i++ {
		send(fmt.Sprintf("/api/hubs/chat/users/u%d/:send", i))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.LessOrEqual(t, len(p.tokens), maxCachedAudiences)
}

func TestAccessKeyRotationUnderLoad(t *testing.T) {
	f := newFakeService(t, nil)
	key := NewAccessKeyCredential("key-0")
	c, err := NewClientWithAccessKey(f.URL, key, testOptions())
	require.NoError(t, err)
	h := hubOf(t, c, "chat")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				_, err := h.SendToUser(context.Background(), fmt.Sprintf("u%d", j%3), Message{Target: "t"}, nil)
				assert.NoError(t, err)
			}
		}()
	}
	for i := 1; i <= 5; i++ {
		key.Update(fmt.Sprintf("key-%d", i))
	}
	wg.Wait()
	// Every request was signed with one of the keys in its entirety.
	for _, r := range f.requests() {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		ok := false
		for i := 0; i <= 5; i++ {
			if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte(fmt.Sprintf("key-%d", i)), nil }); err == nil {
				ok = true
				break
			}
		}
		assert.True(t, ok, "request to %s carries a token no key signed", r.Path)
	}
	// After the last Update every new request uses the last key.
	_, err = h.SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.NoError(t, err)
	verifyToken(t, f, f.last(t), "key-5")
}

func TestAccessKeyCredentialRedacts(t *testing.T) {
	key := NewAccessKeyCredential(secretKey)
	for _, s := range []string{key.String(), fmt.Sprintf("%#v", key), fmt.Sprint(key), fmt.Sprintf("%+v %#v", key, key)} {
		assert.NotContains(t, s, secretKey)
		assert.Contains(t, s, "REDACTED")
	}
	assert.Equal(t, secretKey, key.current())
}

func TestSigningFailureIsNotRetried(t *testing.T) {
	f := newFakeService(t, nil)
	key := NewAccessKeyCredential("k")
	c, err := NewClientWithAccessKey(f.URL, key, testOptions())
	require.NoError(t, err)
	key.Update("") // an empty HMAC key cannot sign
	_, err = hubOf(t, c, "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signalr: signing the request with the access key failed")
	assert.Empty(t, f.requests())
}
