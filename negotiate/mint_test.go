package negotiate

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// mintTestCredential is an Entra credential for a test service that does not check it.
type mintTestCredential struct{}

func (mintTestCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "entra-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// mintEntraNegotiator returns a Negotiator whose Entra client gets kid and secret as the service's
// temporary key, so its tokens go through the same key cache and header as in production.
func mintEntraNegotiator(t *testing.T, kid, secret string) (*Negotiator, string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/auth/accessKey" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"KeyId": kid, "AccessKey": secret})
	}))
	t.Cleanup(srv.Close)
	client, err := signalr.NewClient(srv.URL, mintTestCredential{}, &signalr.ClientOptions{ClientOptions: azcore.ClientOptions{
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{MaxRetries: -1},
	}})
	require.NoError(t, err)
	n := mustNew(t, client, nil)
	n.now = func() time.Time { return testNow }
	return n, "http://127.0.0.1/client/?hub=chat"
}

// mintSegmentJSON returns the JSON object of a token segment, numbers as float64 as jwt.MapClaims
// holds them.
func mintSegmentJSON(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "segment %s", raw)
	return m
}

// requireSignedLikeJWTLibrary checks token against golang-jwt's own HS256 signing: the header
// segment is what jwt.Token encodes for the same header, the payload carries exactly the claims
// golang-jwt signs for want, and the signature is jwt.SigningMethodHS256's over the token's
// signing input, so the token is byte for byte the one golang-jwt builds from these segments.
func requireSignedLikeJWTLibrary(t *testing.T, token, kid, secret string, want jwt.MapClaims) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)

	ref := jwt.NewWithClaims(jwt.SigningMethodHS256, want)
	if kid != "" {
		ref.Header["kid"] = kid
	}
	refToken, err := ref.SignedString([]byte(secret))
	require.NoError(t, err)
	refParts := strings.Split(refToken, ".")
	require.Len(t, refParts, 3)

	assert.Equal(t, refParts[0], parts[0], "header segment")
	assert.Equal(t, mintSegmentJSON(t, refParts[1]), mintSegmentJSON(t, parts[1]), "claims")

	input := parts[0] + "." + parts[1]
	sig, err := jwt.SigningMethodHS256.Sign(input, []byte(secret))
	require.NoError(t, err)
	require.Equal(t, input+"."+ref.EncodeSegment(sig), token)
}

// TestMintMatchesJWTLibrary mints a table of tokens and checks each against golang-jwt's HS256
// signing of the same claims, for access keys and Entra temporary keys (whose kid goes in the
// header), short and block-sized-or-longer secrets (HMAC hashes keys over 64 bytes first).
func TestMintMatchesJWTLibrary(t *testing.T) {
	authEnd := testNow.Add(20 * time.Minute)
	longKey := strings.Repeat("0123456789abcdef", 6) // 96 bytes: longer than a SHA-256 block
	blockKey := strings.Repeat("k", 64)              // exactly one block
	cases := []struct {
		name   string
		kid    string // empty: the secret is a connection string's AccessKey
		secret string
		opts   *Options
		life   time.Duration
		want   jwt.MapClaims // claims besides aud, exp, iat and nbf
	}{
		{name: "anonymous", secret: testKey, life: time.Hour, want: jwt.MapClaims{}},
		{
			name: "user", secret: testKey, life: time.Hour,
			opts: &Options{UserID: "alice@contoso.com"},
			want: jwt.MapClaims{ClaimUserID: "alice@contoso.com"},
		},
		{
			name: "user needing JSON escapes", secret: testKey, life: time.Hour,
			opts: &Options{UserID: "a\"b\\c</script>\u2028é"},
			want: jwt.MapClaims{ClaimUserID: "a\"b\\c</script>\u2028é"},
		},
		{
			name: "claims, one renamed, and a role", secret: testKey, life: time.Hour,
			opts: &Options{
				UserID: "alice@contoso.com",
				Claims: []Claim{{"name", "Alice Example"}, {"email", "alice@contoso.com"}, {"iss", "https://login.example.com"}},
				Roles:  []string{"admin"},
			},
			want: jwt.MapClaims{
				ClaimUserID: "alice@contoso.com", "name": "Alice Example", "email": "alice@contoso.com",
				"asrs.u.iss": "https://login.example.com", "role": "admin",
			},
		},
		{
			name: "repeated claims and roles become arrays", secret: testKey, life: time.Hour,
			opts: &Options{
				Claims: []Claim{{"role", "reader"}, {"sub", "1"}, {"group", "a"}, {"sub", "2"}, {"group", "b"}},
				Roles:  []string{"admin", "ops"},
			},
			want: jwt.MapClaims{"role": []string{"reader", "admin", "ops"}, "sub": "1", "asrs.u.sub": "2", "group": []string{"a", "b"}},
		},
		{
			name: "shortest lifetime", secret: testKey, life: MinLifetime,
			opts: &Options{UserID: "u", Lifetime: MinLifetime},
			want: jwt.MapClaims{ClaimUserID: "u"},
		},
		{
			name: "longest lifetime", secret: testKey, life: MaxLifetime,
			opts: &Options{UserID: "u", Lifetime: MaxLifetime},
			want: jwt.MapClaims{ClaimUserID: "u"},
		},
		{
			name: "odd lifetime", secret: testKey, life: 90*time.Minute + 17*time.Second,
			opts: &Options{Lifetime: 90*time.Minute + 17*time.Second},
			want: jwt.MapClaims{},
		},
		{
			name: "diagnostic client closing at authentication end", secret: testKey, life: time.Hour,
			opts: &Options{UserID: "u", DiagnosticClient: true, CloseOnAuthenticationExpiration: true, AuthenticationExpiresOn: authEnd},
			want: jwt.MapClaims{
				ClaimUserID: "u", claimDiagnostic: "true", claimCloseOnAuth: "true",
				claimAuthExpires: strconv.FormatInt(authEnd.Unix(), 10),
			},
		},
		{
			name: "closing at token expiry", secret: testKey, life: 2 * time.Hour,
			opts: &Options{CloseOnAuthenticationExpiration: true, Lifetime: 2 * time.Hour},
			want: jwt.MapClaims{claimCloseOnAuth: "true", claimAuthExpires: strconv.FormatInt(testNow.Add(2*time.Hour).Unix(), 10)},
		},
		{
			name: "access key of one block", secret: blockKey, life: time.Hour,
			opts: &Options{UserID: "u"},
			want: jwt.MapClaims{ClaimUserID: "u"},
		},
		{
			name: "access key longer than a block", secret: longKey, life: time.Hour,
			opts: &Options{UserID: "u"},
			want: jwt.MapClaims{ClaimUserID: "u"},
		},
		{
			name: "Entra kid", kid: "kid-1", secret: "secret-1", life: time.Hour,
			opts: &Options{UserID: "alice", Roles: []string{"admin"}},
			want: jwt.MapClaims{ClaimUserID: "alice", "role": "admin"},
		},
		{
			name: "Entra kid needing JSON escapes, long key", kid: "k\"ey/Ω\\1", secret: longKey, life: 30 * time.Minute,
			opts: &Options{UserID: "bob", Lifetime: 30 * time.Minute, Claims: []Claim{{"nonce", "n"}}},
			want: jwt.MapClaims{ClaimUserID: "bob", "asrs.u.nonce": "n"},
		},
		{
			name: "Entra kid, anonymous", kid: "0f8fad5b-d9cb-469f-a165-70867728950e", secret: blockKey, life: time.Hour,
			want: jwt.MapClaims{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n *Negotiator
			var aud string
			if tc.kid == "" {
				n = newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+tc.secret, nil)
				aud = "https://x.service.signalr.net/client/?hub=chat"
			} else {
				n, aud = mintEntraNegotiator(t, tc.kid, tc.secret)
			}
			want := jwt.MapClaims{"aud": aud, "exp": testNow.Add(tc.life).Unix(), "iat": testNow.Unix(), "nbf": testNow.Unix()}
			for k, v := range tc.want {
				want[k] = v
			}

			info, err := n.Negotiate(context.Background(), "chat", tc.opts)
			require.NoError(t, err)
			requireSignedLikeJWTLibrary(t, info.AccessToken, tc.kid, tc.secret, want)
			header, _ := parseToken(t, info.AccessToken, tc.secret, aud)
			if tc.kid != "" {
				assert.Equal(t, tc.kid, header["kid"])
			}

			// The keyed hash is reused across mintings: the same input gives the same token.
			again, err := n.Negotiate(context.Background(), "chat", tc.opts)
			require.NoError(t, err)
			assert.Equal(t, info.AccessToken, again.AccessToken)
		})
	}
}

// TestMinterRekeys drives one minter through changing secrets, as an Entra key rotation does:
// every token must be signed with the secret it was minted with, never the previous one.
func TestMinterRekeys(t *testing.T) {
	hub := newHubInfo("chat", "chat", "https://x/client/?hub=chat", "https://x/client/?hub=chat")
	steps := []struct{ kid, secret string }{
		{"", testKey},
		{"kid-1", "secret-1"},
		{"kid-1", "secret-1"},
		{"kid-2", strings.Repeat("s", 100)},
		{"", testKey},
		{"kid-3", ""},
		{"kid-2", strings.Repeat("s", 100)},
	}
	var m minter
	for i, s := range steps {
		plan := &claimsPlan{userID: "user-" + strconv.Itoa(i), issuedUnix: testNow.Unix(), expiresUnix: testNow.Add(time.Hour).Unix()}
		token, err := m.mint(newSigningKey(s.kid, s.secret).header, s.secret, hub, plan)
		require.NoError(t, err, "step %d", i)
		parts := strings.Split(token, ".")
		require.Len(t, parts, 3)
		sig, err := jwt.SigningMethodHS256.Sign(parts[0]+"."+parts[1], []byte(s.secret))
		require.NoError(t, err)
		require.Equal(t, base64.RawURLEncoding.EncodeToString(sig), parts[2], "step %d (kid %q)", i, s.kid)
	}
}

// TestMintConcurrent mints from many goroutines through one Negotiator, whose pooled minters
// each hold a keyed hash: under -race this proves no hash is shared between mintings, and every
// signature must still be golang-jwt's.
func TestMintConcurrent(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	const workers, perWorker = 8, 100
	errs := make(chan string, workers*perWorker)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				opts := &Options{UserID: "user-" + strconv.Itoa(w) + "-" + strconv.Itoa(i), Roles: []string{strings.Repeat("r", i+1)}}
				info, err := n.Negotiate(context.Background(), "chat", opts)
				if err != nil {
					errs <- err.Error()
					continue
				}
				parts := strings.Split(info.AccessToken, ".")
				if len(parts) != 3 {
					errs <- "malformed token for " + opts.UserID
					continue
				}
				sig, err := jwt.SigningMethodHS256.Sign(parts[0]+"."+parts[1], []byte(testKey))
				if err != nil || base64.RawURLEncoding.EncodeToString(sig) != parts[2] {
					errs <- "bad signature for " + opts.UserID
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	var failures []string
	for e := range errs {
		failures = append(failures, e)
	}
	assert.Empty(t, failures)
}
