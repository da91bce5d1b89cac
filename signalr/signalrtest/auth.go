package signalrtest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// tokenLeeway tolerates small clock differences on exp/nbf, like ASP.NET's
	// ClockSkew but shorter so that expiry tests need not wait minutes.
	tokenLeeway = 30 * time.Second
	// maxTokenLength is the service's limit on client access tokens; longer
	// tokens get 413 at negotiate.
	maxTokenLength = 4096
	// maxRESTTokenLength bounds REST tokens. The 4096-character limit is the
	// SDK's, for client tokens only: a REST token's aud is its request URL,
	// and the URL of an operation on a 1024-character user and group in a
	// non-Latin script escapes to some 18,000 characters. 32 KiB is Kestrel's
	// default limit on all request headers together.
	maxRESTTokenLength = 32 << 10
	// tempKeyLifetime is how long an /api/v1/auth/accessKey key stays valid.
	tempKeyLifetime = 90 * time.Minute
)

var (
	errNoToken       = errors.New("signalrtest: no access token; expected an Authorization: Bearer header or an access_token query parameter")
	errTokenTooLarge = errors.New("signalrtest: access token is too long; expected at most 4096 characters for a client token, 32 KiB for a REST token")
	errBadAudience   = errors.New("signalrtest: the audience is invalid")
)

// identity is what a validated token says about its bearer.
type identity struct {
	userID string
	claims []claim // in token order, for X-ASRS-User-Claims
	entra  bool    // validated by Options.TokenValidator, not by an access key
	// authExpires is when a connection opened with the token must close
	// (asrs.s.coae and asrs.s.aeo); zero when the token does not ask for it.
	authExpires time.Time
}

type claim struct{ typ, value string }

// tempKey is an access key handed out by /api/v1/auth/accessKey.
type tempKey struct {
	key     string
	expires time.Time
}

// bearerToken extracts the token of a request: the Authorization header first,
// then (when allowQuery) the access_token query parameter browsers must use.
func bearerToken(r *http.Request, allowQuery bool) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	if allowQuery {
		return r.URL.Query().Get("access_token")
	}
	return ""
}

// verificationKeys returns the keys a token may be signed with: the temporary key
// named by kid when there is one (temp is then true), else every configured
// access key (SDKs put a per-process hash in kid, so it cannot select among
// local keys).
func (s *Server) verificationKeys(kid string) (keys []jwt.VerificationKey, temp bool) {
	if kid != "" {
		s.mu.Lock()
		tk, ok := s.tempKeys[kid]
		s.mu.Unlock()
		if ok && s.now().Before(tk.expires) {
			return []jwt.VerificationKey{[]byte(tk.key)}, true
		}
	}
	keys = make([]jwt.VerificationKey, 0, 2)
	for _, k := range s.keys {
		keys = append(keys, []byte(k))
	}
	return keys, false
}

// validatedToken is a token whose signature was verified; lifetime and
// audience are rechecked on every use.
type validatedToken struct {
	claims jwt.MapClaims
	auds   []*url.URL
	exp    time.Time
	nbf    time.Time // zero when absent
	userID string
	list   []claim // X-ASRS-User-Claims entries, computed on first need
	// authExpires is from asrs.s.coae/asrs.s.aeo; zero when not asked for.
	authExpires time.Time
}

// maxTokenCache bounds the verified-token cache; it is emptied when full.
const maxTokenCache = 4096

// validateToken checks signature, lifetime and audience: one aud value must
// fit aud. Entra tokens are accepted through Options.TokenValidator when
// allowEntra is set. Claims for upstream headers are listed only when
// withClaims is set.
func (s *Server) validateToken(r *http.Request, token string, aud audience, allowEntra, withClaims bool) (identity, error) {
	if token == "" {
		return identity{}, errNoToken
	}
	if limit := aud.maxTokenLength(); len(token) > limit {
		return identity{}, errTokenTooLarge
	}
	s.tokMu.Lock()
	vt := s.tokens[token]
	s.tokMu.Unlock()
	if vt == nil {
		var err error
		if vt, err = s.verifyToken(token); err != nil {
			if allowEntra && s.opts.TokenValidator != nil && !errors.Is(err, jwt.ErrTokenExpired) {
				if verr := s.opts.TokenValidator(r.Context(), token); verr == nil {
					return identity{entra: true}, nil
				}
			}
			return identity{}, tokenError(err)
		}
	}
	now := s.now()
	if now.After(vt.exp.Add(tokenLeeway)) {
		return identity{}, tokenError(jwt.ErrTokenExpired)
	}
	if !vt.nbf.IsZero() && now.Add(tokenLeeway).Before(vt.nbf) {
		return identity{}, tokenError(jwt.ErrTokenNotValidYet)
	}
	if len(vt.auds) == 0 {
		return identity{}, fmt.Errorf("%w: the token has no aud claim; expected %s", errBadAudience, aud.expected())
	}
	var audErr error
	for _, u := range vt.auds {
		if audErr = aud.check(u); audErr == nil {
			break
		}
	}
	if audErr != nil {
		return identity{}, audErr
	}
	id := identity{userID: vt.userID, authExpires: vt.authExpires}
	if withClaims {
		s.tokMu.Lock()
		if vt.list == nil {
			vt.list = claimList(vt.claims, token)
		}
		id.claims = vt.list
		s.tokMu.Unlock()
	}
	return id, nil
}

// verifyToken checks the signature and parses the claims, caching the result
// for tokens signed with a configured key (SDKs reuse a token for its lifetime).
func (s *Server) verifyToken(token string) (*validatedToken, error) {
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256", "HS384", "HS512"}),
		jwt.WithLeeway(tokenLeeway),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	)
	claims := jwt.MapClaims{}
	tempKeyUsed := false
	tok, err := p.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		keys, temp := s.verificationKeys(kid)
		tempKeyUsed = temp
		return jwt.VerificationKeySet{Keys: keys}, nil
	})
	if err != nil || !tok.Valid {
		if err == nil {
			err = jwt.ErrTokenUnverifiable
		}
		return nil, err
	}
	vt := &validatedToken{claims: claims, userID: userIDOf(claims), authExpires: authExpiry(claims)}
	if exp, err := claims.GetExpirationTime(); err == nil && exp != nil {
		vt.exp = exp.Time
	}
	if nbf, err := claims.GetNotBefore(); err == nil && nbf != nil {
		vt.nbf = nbf.Time
	}
	auds, _ := claims.GetAudience()
	for _, a := range auds {
		if u, err := url.Parse(a); err == nil {
			vt.auds = append(vt.auds, u)
		}
	}
	if !tempKeyUsed { // temporary keys expire, so their tokens are verified each time
		s.tokMu.Lock()
		if len(s.tokens) >= maxTokenCache {
			clear(s.tokens)
		}
		s.tokens[token] = vt
		s.tokMu.Unlock()
	}
	return vt, nil
}

// Claims with which a token asks the service to close its connections when
// the authentication behind it expires (azure-signalr
// specs/CloseOnAuthenticationExpire.md; the SDK writes both as strings).
const (
	claimCloseOnAuthExpiry = "asrs.s.coae"
	claimAuthExpiresOn     = "asrs.s.aeo"
)

// authExpiry is when connections opened with the token must close: asrs.s.aeo
// (Unix seconds, a string or a number) when asrs.s.coae is true, the token's
// exp when asrs.s.aeo is missing or unreadable, and zero when asrs.s.coae is
// absent or false.
func authExpiry(c jwt.MapClaims) time.Time {
	v, ok := c[claimCloseOnAuthExpiry]
	if !ok {
		return time.Time{} // the common case, without strconv's error allocation
	}
	if on, _ := strconv.ParseBool(claimString(v)); !on {
		return time.Time{}
	}
	if sec, err := strconv.ParseFloat(claimString(c[claimAuthExpiresOn]), 64); err == nil && sec > 0 && sec < 1<<53 {
		return time.Unix(int64(sec), 0)
	}
	if exp, err := c.GetExpirationTime(); err == nil && exp != nil {
		return exp.Time
	}
	return time.Time{}
}

// tokenError turns a jwt error into one that never echoes the token.
func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return errors.New("signalrtest: the token is expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errors.New("signalrtest: the token is not valid yet (nbf)")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errors.New("signalrtest: the token has no exp claim")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return errors.New("signalrtest: the token signature is invalid; expected HS256 signed with an access key of the connection string")
	default:
		return errors.New("signalrtest: the token is malformed")
	}
}

// userIDOf follows the service: asrs.s.uid, then nameid, then sub.
func userIDOf(c jwt.MapClaims) string {
	for _, k := range []string{"asrs.s.uid", "nameid", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "sub"} {
		if v := claimString(c[k]); v != "" {
			return v
		}
	}
	return ""
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		if len(x) > 0 {
			return claimString(x[0])
		}
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// claimTypeMap maps short JWT claim names to the long types ASP.NET (and so the
// service) reports upstream.
var claimTypeMap = map[string]string{
	"nameid":      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
	"sub":         "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
	"role":        "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
	"roles":       "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
	"unique_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
	"email":       "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
	"given_name":  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
	"family_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
}

// claimList flattens the token's claims in the order they appear in its payload,
// one entry per array element.
func claimList(c jwt.MapClaims, token string) []claim {
	keys := payloadKeyOrder(token)
	seen := make(map[string]bool, len(keys))
	var out []claim
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		typ := k
		if long, ok := claimTypeMap[k]; ok {
			typ = long
		}
		switch v := c[k].(type) {
		case []any:
			for _, e := range v {
				out = append(out, claim{typ, claimString(e)})
			}
		default:
			out = append(out, claim{typ, claimString(v)})
		}
	}
	for _, k := range keys {
		if _, ok := c[k]; ok {
			add(k)
		}
	}
	rest := make([]string, 0, len(c))
	for k := range c {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return out
}

// payloadKeyOrder returns the top-level keys of the token payload in order.
func payloadKeyOrder(token string) []string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	return topLevelKeys(b)
}

// audience is what the aud claim of a token must name for one request
// (spec §2.1, §2.3, §8): the request's scheme and host (its port and every
// query are ignored, since SDKs differ on both) and, for the REST API, the
// request path, compared ignoring case and a trailing slash; for the client
// endpoint, the path /client and the hub of the request in the hub query
// parameter.
type audience struct {
	scheme, host string
	path         string   // REST: the path as sent
	segs         []string // REST: the path as routed, dot segments removed
	client       bool
	hub          string // client: the normalised hub
}

// restAudience is the audience of a REST request routed on segs.
func restAudience(r *http.Request, segs []string) audience {
	return audience{scheme: requestScheme(r), host: requestHost(r), path: r.URL.Path, segs: segs}
}

// clientAudience is the audience of a client request for hub.
func clientAudience(r *http.Request, hub string) audience {
	return audience{scheme: requestScheme(r), host: requestHost(r), client: true, hub: hub}
}

func requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestHost is the request's host name without the port (and without the
// brackets of an IPv6 literal), as url.URL.Hostname gives it for an aud.
func requestHost(r *http.Request) string {
	host := r.Host
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			return host[1:end]
		}
		return host
	}
	if i := strings.IndexByte(host, ':'); i >= 0 && strings.Count(host, ":") == 1 {
		return host[:i]
	}
	return host
}

func (a audience) maxTokenLength() int {
	if a.client {
		return maxTokenLength
	}
	return maxRESTTokenLength
}

// expected is an example of a valid aud, for error messages.
func (a audience) expected() string {
	base := a.scheme + "://" + a.host
	if a.client {
		return base + "/client/?hub=" + a.hub
	}
	return base + a.path
}

// check returns nil when u is a valid aud, else errBadAudience with the reason.
func (a audience) check(u *url.URL) error {
	if !strings.EqualFold(u.Scheme, a.scheme) || !strings.EqualFold(u.Hostname(), a.host) {
		return fmt.Errorf("%w: its scheme and host must be those of the request, %s://%s (the port is ignored)", errBadAudience, a.scheme, a.host)
	}
	path := strings.TrimRight(u.Path, "/")
	if a.client {
		if !strings.EqualFold(path, "/client") {
			return fmt.Errorf("%w: a client token's audience must be the client endpoint, %s", errBadAudience, a.expected())
		}
		switch h := u.Query()["hub"]; {
		case len(h) == 0 || h[0] == "":
			return fmt.Errorf("%w: a client token's audience must name its hub, as in %s", errBadAudience, a.expected())
		case len(h) > 1 || !strings.EqualFold(h[0], a.hub):
			return fmt.Errorf("%w: the audience names another hub; expected %s", errBadAudience, a.expected())
		}
		return nil
	}
	if strings.EqualFold(path, strings.TrimRight(a.path, "/")) || pathIsSegments(path, a.segs) {
		return nil
	}
	return fmt.Errorf("%w: its path must be the request path; expected %s (query ignored)", errBadAudience, a.expected())
}

// pathIsSegments reports whether path, without its trailing slash, is "/"
// followed by segs joined with "/", ignoring case, without allocating.
func pathIsSegments(path string, segs []string) bool {
	for _, seg := range segs {
		rest, ok := strings.CutPrefix(path, "/")
		if !ok || len(rest) < len(seg) || !strings.EqualFold(rest[:len(seg)], seg) {
			return false
		}
		path = rest[len(seg):]
	}
	return path == ""
}

// signature is the X-ASRS-Signature value: "sha256=" + lowercase hex HMAC per
// key, entries separated by ", ", as in real service traffic (spec §8;
// Microsoft's local emulator writes uppercase hex instead).
func signature(keys []string, connectionID string) string {
	const hexLower = "0123456789abcdef"
	buf := make([]byte, 0, len(keys)*(len("sha256=")+2*sha256.Size+2))
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',', ' ')
		}
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte(connectionID))
		var sum [sha256.Size]byte
		buf = append(buf, "sha256="...)
		for _, b := range m.Sum(sum[:0]) {
			buf = append(buf, hexLower[b>>4], hexLower[b&0x0f])
		}
	}
	return string(buf)
}

// newID returns a random URL-safe identifier of n random bytes.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("signalrtest: crypto/rand failed: %v", err)) // unreachable on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signToken mints an HS256 token with the primary key.
func (s *Server) signToken(claims jwt.MapClaims) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(s.keys[0]))
}
