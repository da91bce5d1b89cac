package negotiate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

const testKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newTestNegotiator builds a Negotiator for a connection string with a fixed clock.
func newTestNegotiator(t testing.TB, cs string, opts *signalr.ClientOptions) *Negotiator {
	t.Helper()
	client, err := signalr.NewClientFromConnectionString(cs, opts)
	require.NoError(t, err)
	n := mustNew(t, client, nil)
	n.now = func() time.Time { return testNow }
	return n
}

// mustNew is New for a client the test knows is valid.
func mustNew(t testing.TB, client *signalr.Client, opts *NegotiatorOptions) *Negotiator {
	t.Helper()
	n, err := New(client, opts)
	require.NoError(t, err)
	return n
}

// mustHandler is Handler for a configuration the test knows is valid.
func mustHandler(t testing.TB, n *Negotiator, hub string, opts *HandlerOptions) http.Handler {
	t.Helper()
	h, err := Handler(n, hub, opts)
	require.NoError(t, err)
	return h
}

// parseToken verifies an HS256 token with secret at testNow and returns its header and claims.
func parseToken(t testing.TB, token, secret, audience string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	return parseTokenAt(t, token, secret, audience, testNow)
}

// parseTokenAt is parseToken for a token minted at another time.
func parseTokenAt(t testing.TB, token, secret, audience string, at time.Time) (map[string]any, jwt.MapClaims) {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithTimeFunc(func() time.Time { return at }),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	).ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil })
	require.NoError(t, err)
	return parsed.Header, claims
}

// rawPayload decodes a token's payload without any claim mapping, to check exact JSON.
func rawPayload(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	require.True(t, json.Valid(b), "payload is not JSON: %s", b)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, b))
	return compact.String()
}

func TestNegotiateAccessKeyURLAndAudience(t *testing.T) {
	cases := []struct {
		name     string
		cs       string
		app      string
		hub      string
		url      string
		audience string
	}{
		{
			name:     "endpoint",
			cs:       "Endpoint=https://x.service.signalr.net;AccessKey=" + testKey + ";Version=1.0;",
			hub:      "Chat",
			url:      "https://x.service.signalr.net/client/?hub=chat",
			audience: "https://x.service.signalr.net/client/?hub=chat",
		},
		{
			name:     "Port applies to the URL, not the audience",
			cs:       "Endpoint=https://x.service.signalr.net;Port=8443;AccessKey=" + testKey,
			hub:      "chat",
			url:      "https://x.service.signalr.net:8443/client/?hub=chat",
			audience: "https://x.service.signalr.net/client/?hub=chat",
		},
		{
			name:     "emulator endpoint with port in the URL",
			cs:       "Endpoint=http://localhost;Port=8888;AccessKey=" + testKey + ";Version=1.0;",
			hub:      "chat",
			url:      "http://localhost:8888/client/?hub=chat",
			audience: "http://localhost/client/?hub=chat",
		},
		{
			name:     "port inside Endpoint is dropped from the audience",
			cs:       "Endpoint=http://127.0.0.1:5000;AccessKey=" + testKey,
			hub:      "chat",
			url:      "http://127.0.0.1:5000/client/?hub=chat",
			audience: "http://127.0.0.1/client/?hub=chat",
		},
		{
			name:     "ClientEndpoint replaces the URL base only",
			cs:       "Endpoint=https://x.service.signalr.net;ClientEndpoint=https://gw.example.com/signalr/;Port=8443;AccessKey=" + testKey,
			hub:      "chat",
			url:      "https://gw.example.com/signalr/client/?hub=chat",
			audience: "https://x.service.signalr.net/client/?hub=chat",
		},
		{
			name:     "application name prefixes the hub",
			cs:       "Endpoint=https://x.service.signalr.net;AccessKey=" + testKey,
			app:      "MyApp",
			hub:      "Chat",
			url:      "https://x.service.signalr.net/client/?hub=myapp_chat",
			audience: "https://x.service.signalr.net/client/?hub=myapp_chat",
		},
		{
			name:     "hub punctuation is kept as the service SDK writes it",
			cs:       "Endpoint=https://x.service.signalr.net;AccessKey=" + testKey,
			hub:      "a.b_c[1]",
			url:      "https://x.service.signalr.net/client/?hub=a.b_c[1]",
			audience: "https://x.service.signalr.net/client/?hub=a.b_c[1]",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNegotiator(t, tc.cs, &signalr.ClientOptions{ApplicationName: tc.app})
			for range 2 { // the second call comes from the hub cache
				info, err := n.Negotiate(context.Background(), tc.hub, &Options{UserID: "alice"})
				require.NoError(t, err)
				assert.Equal(t, tc.url, info.URL)
				assert.Zero(t, info.TokenLifetime, "lifetime is reported only when requested")
				header, claims := parseToken(t, info.AccessToken, testKey, tc.audience)
				assert.Equal(t, map[string]any{"alg": "HS256", "typ": "JWT"}, header)
				assert.Equal(t, tc.audience, claims["aud"])
				assert.Equal(t, "alice", claims[ClaimUserID])
				assert.EqualValues(t, testNow.Unix(), claims["iat"])
				assert.EqualValues(t, testNow.Unix(), claims["nbf"])
				assert.EqualValues(t, testNow.Add(time.Hour).Unix(), claims["exp"])
			}
		})
	}
}

func TestNegotiateClaims(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	aud := "https://x.service.signalr.net/client/?hub=chat"
	cases := []struct {
		name string
		opts *Options
		want string // exact payload after the registered claims
	}{
		{
			name: "nil options: anonymous, one hour",
			opts: nil,
			want: ``,
		},
		{
			name: "user id",
			opts: &Options{UserID: "alice"},
			want: `,"asrs.s.uid":"alice"`,
		},
		{
			name: "reserved names are renamed",
			opts: &Options{Claims: []Claim{
				{"aud", "a"}, {"exp", "1"}, {"iat", "2"}, {"nbf", "3"}, {"iss", "i"}, {"actort", "x"},
				{"acr", "y"}, {"azp", "z"}, {"c_hash", "h"}, {"jti", "j"}, {"nonce", "n"}, {"name", "Alice"},
			}},
			want: `,"asrs.u.aud":"a","asrs.u.exp":"1","asrs.u.iat":"2","asrs.u.nbf":"3","asrs.u.iss":"i","asrs.u.actort":"x","asrs.u.acr":"y","asrs.u.azp":"z","asrs.u.c_hash":"h","asrs.u.jti":"j","asrs.u.nonce":"n","name":"Alice"`,
		},
		{
			name: "first sub kept, later ones renamed",
			opts: &Options{Claims: []Claim{{"sub", "s1"}, {"sub", "s2"}, {"sub", "s3"}}},
			want: `,"sub":"s1","asrs.u.sub":["s2","s3"]`,
		},
		{
			name: "repeated types become ordered arrays; roles join role claims",
			opts: &Options{
				Claims: []Claim{{"group", "b"}, {"role", "admin"}, {"group", "a"}, {"email", "a@x"}},
				Roles:  []string{"reader", "writer"},
			},
			want: `,"group":["b","a"],"role":["admin","reader","writer"],"email":"a@x"`,
		},
		{
			name: "a single role is a string",
			opts: &Options{Roles: []string{"admin"}},
			want: `,"role":"admin"`,
		},
		{
			name: "renamed and literal asrs.u names share one array",
			opts: &Options{Claims: []Claim{{"asrs.u.exp", "lit"}, {"exp", "ren"}}},
			want: `,"asrs.u.exp":["lit","ren"]`,
		},
		{
			name: "diagnostic client and close on expiry",
			opts: &Options{UserID: "u", DiagnosticClient: true, CloseOnAuthenticationExpiration: true, Lifetime: 2 * time.Hour},
			want: `,"asrs.s.uid":"u","asrs.s.dc":"true","asrs.s.coae":"true","asrs.s.aeo":"` + itoa(testNow.Add(2*time.Hour).Unix()) + `"`,
		},
		{
			name: "explicit authentication expiry",
			opts: &Options{CloseOnAuthenticationExpiration: true, AuthenticationExpiresOn: testNow.Add(10 * time.Minute)},
			want: `,"asrs.s.coae":"true","asrs.s.aeo":"` + itoa(testNow.Add(10*time.Minute).Unix()) + `"`,
		},
		{
			name: "escaping",
			opts: &Options{UserID: "a\"b\\c\t\u2028é\xff", Claims: []Claim{{"k\"ey", "<v>&"}}},
			want: `,"asrs.s.uid":"a\"b\\c\t\u2028é\ufffd","k\"ey":"<v>&"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := n.Negotiate(context.Background(), "chat", tc.opts)
			require.NoError(t, err)
			lifetime := time.Hour
			if tc.opts != nil && tc.opts.Lifetime != 0 {
				lifetime = tc.opts.Lifetime
			}
			parseToken(t, info.AccessToken, testKey, aud)
			want := `{"aud":"` + aud + `","exp":` + itoa(testNow.Add(lifetime).Unix()) +
				`,"iat":` + itoa(testNow.Unix()) + `,"nbf":` + itoa(testNow.Unix()) + tc.want + `}`
			assert.Equal(t, want, rawPayload(t, info.AccessToken))
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestNegotiateLifetime(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	for _, d := range []time.Duration{MinLifetime, 90 * time.Minute, MaxLifetime} {
		info, err := n.Negotiate(context.Background(), "chat", &Options{Lifetime: d})
		require.NoError(t, err)
		assert.Equal(t, d, info.TokenLifetime)
		_, claims := parseToken(t, info.AccessToken, testKey, "https://x.service.signalr.net/client/?hub=chat")
		assert.EqualValues(t, testNow.Add(d).Unix(), claims["exp"])
	}
}

func TestNegotiateErrors(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	many := make([]string, maxClaimCount+1)
	cases := []struct {
		name string
		hub  string
		opts *Options
		is   error
		msg  string
	}{
		{name: "empty hub", hub: "", msg: "hub name"},
		{name: "invalid hub", hub: "1chat", msg: "hub name"},
		{name: "hub with slash", hub: "a/b", msg: "hub name"},
		{name: "negative lifetime", hub: "chat", opts: &Options{Lifetime: -time.Minute}, msg: "lifetime"},
		{name: "lifetime below a minute", hub: "chat", opts: &Options{Lifetime: 30 * time.Second}, msg: "lifetime"},
		{name: "lifetime above a day", hub: "chat", opts: &Options{Lifetime: 25 * time.Hour}, msg: "lifetime"},
		{name: "system claim", hub: "chat", opts: &Options{Claims: []Claim{{"asrs.s.uid", "mallory"}}}, msg: "asrs.s."},
		{name: "empty claim type", hub: "chat", opts: &Options{Claims: []Claim{{"", "v"}}}, msg: "empty Type"},
		{name: "token too long", hub: "chat", opts: &Options{Claims: []Claim{{"blob", strings.Repeat("x", 3100)}}}, is: ErrTokenTooLong},
		{name: "raw claims too long", hub: "chat", opts: &Options{UserID: "u", Claims: []Claim{{"blob", strings.Repeat("x", 5000)}}}, is: ErrTokenTooLong},
		{name: "too many claims", hub: "chat", opts: &Options{Roles: many}, is: ErrTokenTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := n.Negotiate(context.Background(), tc.hub, tc.opts)
			require.Error(t, err)
			assert.Zero(t, info)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "negotiate: "), err.Error())
			assert.NotContains(t, err.Error(), testKey)
			assert.NotContains(t, err.Error(), "mallory", "claim values stay out of errors")
		})
	}

	var nilN *Negotiator
	_, err := nilN.Negotiate(context.Background(), "chat", nil)
	assert.ErrorContains(t, err, "no service client")
	none, err := New(nil, nil)
	assert.Nil(t, none)
	assert.ErrorContains(t, err, "the signalr.Client is nil")
	none, err = New(&signalr.Client{}, nil)
	assert.Nil(t, none)
	assert.ErrorContains(t, err, "the signalr.Client has no endpoints")
	_, err = (&Negotiator{}).NegotiateAll(context.Background(), "chat", nil)
	assert.ErrorContains(t, err, "no service client")
}

func TestNegotiateKeyRotation(t *testing.T) {
	key := signalr.NewAccessKeyCredential("first-key")
	client, err := signalr.NewClientWithAccessKey("https://x.service.signalr.net", key, nil)
	require.NoError(t, err)
	n := mustNew(t, client, nil)
	n.now = func() time.Time { return testNow }
	aud := "https://x.service.signalr.net/client/?hub=chat"

	info, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	parseToken(t, info.AccessToken, "first-key", aud)

	// Keys of a block's length and longer (hashed first, RFC 2104) sign correctly too.
	for _, k := range []string{"second-key", strings.Repeat("k", 64), strings.Repeat("x", 65), strings.Repeat("é", 100)} {
		key.Update(k)
		for _, hub := range []string{"chat", "other", "chat"} {
			info, err = n.Negotiate(context.Background(), hub, &Options{UserID: "u"})
			require.NoError(t, err)
			parseToken(t, info.AccessToken, k, "https://x.service.signalr.net/client/?hub="+hub)
		}
	}
}

func TestNegotiateConcurrent(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	aud := "https://x.service.signalr.net/client/?hub=chat"
	done := make(chan string, 16)
	for i := range 16 {
		go func() {
			user := "user" + itoa(int64(i))
			info, err := n.Negotiate(context.Background(), "chat", &Options{UserID: user, Roles: []string{user}})
			if err != nil {
				done <- err.Error()
				return
			}
			_, claims := parseToken(t, info.AccessToken, testKey, aud)
			if claims[ClaimUserID] != user || claims["role"] != user {
				done <- "claims of another caller: " + user
				return
			}
			done <- ""
		}()
	}
	for range 16 {
		assert.Empty(t, <-done)
	}
}

func TestRenameReservedClaims(t *testing.T) {
	in := []Claim{{"sub", "1"}, {"name", "n"}, {"sub", "2"}, {"exp", "e"}, {"asrs.u.x", "y"}, {"asrs.s.uid", "mallory"}}
	want := []Claim{{"sub", "1"}, {"name", "n"}, {"asrs.u.sub", "2"}, {"asrs.u.exp", "e"}, {"asrs.u.x", "y"}, {"asrs.u.asrs.s.uid", "mallory"}}
	assert.Equal(t, want, renameReservedClaims(in))
	assert.Equal(t, "sub", in[2].Type, "input is not modified")
	assert.Empty(t, renameReservedClaims(nil))
	assert.Equal(t, "negotiate.Claim(name)", Claim{"name", "secret"}.String())
}

// FuzzMintClaims checks that any user id and claim produce a token whose payload is valid JSON
// carrying exactly those values.
func FuzzMintClaims(f *testing.F) {
	f.Add("alice", "name", "Alice")
	f.Add("a\"b", "k\\", "\x00\xff\u2028")
	f.Add("Doe, John", "name", "Bob, http://schemas.microsoft.com/ws/2008/06/identity/claims/role: admin")
	f.Add("x, role: admin", "name", "Doe, John")
	f.Add("", "sub", "")
	f.Add("é", "exp", "</script>")
	n := newTestNegotiator(f, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	aud := "https://x.service.signalr.net/client/?hub=chat"
	f.Fuzz(func(t *testing.T, user, typ, val string) {
		info, err := n.Negotiate(context.Background(), "chat", &Options{UserID: user, Claims: []Claim{{typ, val}}})
		if err != nil {
			// Refused: an empty or system type, a token too long, or a value the upstream claims
			// header could not carry as one claim.
			require.True(t, typ == "" || strings.HasPrefix(typ, "asrs.s.") || strings.Contains(err.Error(), "4096") ||
				strings.Contains(err.Error(), "control character") || strings.Contains(err.Error(), "claim type") ||
				strings.Contains(err.Error(), `": " after a ','`), err.Error())
			return
		}
		// The upstream claims header ("type: value, type: value") built from what was minted
		// splits into exactly the claims minted: no value can add one.
		header := typ + ": " + val
		minted := 1
		if user != "" {
			header, minted = ClaimUserID+": "+user+", "+header, 2
		}
		starts := 0
		for part := range strings.SplitSeq(header, ",") {
			if strings.Contains(part, ": ") {
				starts++
			}
		}
		require.Equal(t, minted, starts, "claims header %q", header)
		_, claims := parseToken(t, info.AccessToken, testKey, aud)
		want, name := viaJSON(val), viaJSON(typ)
		if isReservedClaim(typ) {
			name = "asrs.u." + name
		}
		if name != "aud" && name != "exp" && name != "iat" && name != "nbf" && name != ClaimUserID {
			assert.Equal(t, want, claims[name])
		}
		if user != "" && name != ClaimUserID {
			assert.Equal(t, viaJSON(user), claims[ClaimUserID])
		}
	})
}

// viaJSON is s after an encoding/json round trip: each invalid UTF-8 byte becomes U+FFFD.
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}
