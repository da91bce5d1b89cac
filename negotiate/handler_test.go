package negotiate

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testAudience = "https://x.service.signalr.net/client/?hub=chat"

func testHandler(t *testing.T, opts *HandlerOptions) http.Handler {
	return mustHandler(t, newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil), "chat", opts)
}

func serve(h http.Handler, method string, headers map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/api/negotiate?negotiateVersion=1", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// decodeInfo checks a successful negotiate answer and returns its token's claims.
func decodeInfo(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Equal(t, "https://x.service.signalr.net/client/?hub=chat", body["url"])
	_, claims := parseToken(t, body["accessToken"].(string), testKey, testAudience)
	return claims
}

func TestHandlerMethods(t *testing.T) {
	h := testHandler(t, nil)
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		rec := serve(h, m, nil)
		claims := decodeInfo(t, rec)
		assert.NotContains(t, claims, ClaimUserID, "anonymous without auth headers")
		assert.NotContains(t, rec.Body.String(), "tokenLifetimeSeconds")
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		rec := serve(h, m, nil)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, "GET, POST, OPTIONS", rec.Header().Get("Allow"))
		if m != http.MethodHead {
			assert.JSONEq(t, `{"error":"negotiate: method `+m+` is not allowed; the SignalR client negotiates with POST"}`, rec.Body.String())
		}
	}
	rec := serve(h, http.MethodOptions, nil)
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, "GET, POST, OPTIONS", rec.Header().Get("Allow"))
}

func TestHandlerUserFromPrincipalHeaders(t *testing.T) {
	h := testHandler(t, &HandlerOptions{Lifetime: 2 * time.Hour})
	rec := serve(h, http.MethodPost, map[string]string{
		HeaderClientPrincipalID: "5b5450db-eb26-4c1a-981c-ba1d25f0483d",
		HeaderClientPrincipal:   base64.StdEncoding.EncodeToString(golden(t, "principal-appservice-aad.json")),
	})
	claims := decodeInfo(t, rec)
	assert.Equal(t, "5b5450db-eb26-4c1a-981c-ba1d25f0483d", claims[ClaimUserID])
	assert.EqualValues(t, testNow.Add(2*time.Hour).Unix(), claims["exp"])
	assert.Contains(t, rec.Body.String(), `"tokenLifetimeSeconds":7200`)
}

func TestHandlerUserErrors(t *testing.T) {
	cases := []struct {
		name    string
		opts    *HandlerOptions
		headers map[string]string
		status  int
		body    string
	}{
		{
			name:   "required user missing",
			opts:   &HandlerOptions{RequireUser: true},
			status: http.StatusUnauthorized,
			body:   `{"error":"negotiate: this hub requires a signed-in user and the request has none"}`,
		},
		{
			name:    "malformed principal",
			headers: map[string]string{HeaderClientPrincipal: "%%%"},
			status:  http.StatusUnauthorized,
			body:    `{"error":"negotiate: header x-ms-client-principal is not base64"}`,
		},
		{
			name:   "UserID callback error",
			opts:   &HandlerOptions{UserID: func(*http.Request) (string, error) { return "", errors.New("sign in first") }},
			status: http.StatusUnauthorized,
			body:   `{"error":"sign in first"}`,
		},
		{
			name:   "Claims callback error",
			opts:   &HandlerOptions{Claims: func(*http.Request) ([]Claim, error) { return nil, errors.New("bad id token") }},
			status: http.StatusUnauthorized,
			body:   `{"error":"bad id token"}`,
		},
		{
			name: "claims too long",
			opts: &HandlerOptions{Claims: func(*http.Request) ([]Claim, error) {
				return []Claim{{"blob", strings.Repeat("x", 4000)}}, nil
			}},
			status: http.StatusRequestEntityTooLarge,
			body:   `{"error":"` + ErrTokenTooLong.Error() + `"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(testHandler(t, tc.opts), http.MethodPost, tc.headers)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.JSONEq(t, tc.body, rec.Body.String())
		})
	}
}

func TestHandlerCallbacks(t *testing.T) {
	h := testHandler(t, &HandlerOptions{
		UserID: func(r *http.Request) (string, error) { return r.Header.Get("x-user"), nil },
		Claims: func(r *http.Request) ([]Claim, error) {
			return ClaimsFromIDToken(r.Header.Get("Authorization"), []string{"name", "exp"}, nil)
		},
		RequireUser: true,
	})
	rec := serve(h, http.MethodPost, map[string]string{
		"x-user":        "carol",
		"Authorization": "Bearer " + rawJWT(`{"sub":"carol","name":"Carol","exp":123}`),
	})
	claims := decodeInfo(t, rec)
	assert.Equal(t, "carol", claims[ClaimUserID])
	assert.Equal(t, "Carol", claims["name"])
	assert.Equal(t, "123", claims["asrs.u.exp"])
	assert.EqualValues(t, testNow.Add(time.Hour).Unix(), claims["exp"], "the id token's exp cannot override the token's")
}

func TestHandlerCORS(t *testing.T) {
	h := testHandler(t, &HandlerOptions{AllowedOrigins: []string{"https://app.example.com/", "http://localhost:8080"}})
	cases := []struct {
		name    string
		method  string
		headers map[string]string
		status  int
		origin  string // expected Access-Control-Allow-Origin
	}{
		{"allowed origin", http.MethodPost, map[string]string{"Origin": "https://app.example.com"}, http.StatusOK, "https://app.example.com"},
		{"origin match ignores case", http.MethodPost, map[string]string{"Origin": "HTTP://LOCALHOST:8080"}, http.StatusOK, "HTTP://LOCALHOST:8080"},
		{"other origin gets no CORS headers", http.MethodPost, map[string]string{"Origin": "https://evil.example.com"}, http.StatusOK, ""},
		{"port matters", http.MethodPost, map[string]string{"Origin": "http://localhost:9090"}, http.StatusOK, ""},
		{"no origin", http.MethodPost, nil, http.StatusOK, ""},
		{"preflight allowed", http.MethodOptions, map[string]string{
			"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,x-requested-with,x-signalr-user-agent",
		}, http.StatusNoContent, "https://app.example.com"},
		{"preflight refused", http.MethodOptions, map[string]string{
			"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST",
		}, http.StatusForbidden, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(h, tc.method, tc.headers)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Equal(t, tc.origin, rec.Header().Get("Access-Control-Allow-Origin"))
			assert.NotEqual(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
			if tc.origin != "" {
				assert.Equal(t, "true", rec.Header().Get("Access-Control-Allow-Credentials"))
			} else {
				assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
			}
			if tc.headers["Origin"] != "" {
				assert.Contains(t, rec.Header().Values("Vary"), "Origin")
			}
			if tc.status == http.StatusNoContent {
				assert.Equal(t, "GET, POST, OPTIONS", rec.Header().Get("Access-Control-Allow-Methods"))
				allowed := rec.Header().Get("Access-Control-Allow-Headers")
				for _, h := range []string{"authorization", "x-requested-with", "x-signalr-user-agent"} {
					assert.Contains(t, allowed, h)
				}
				assert.NotEmpty(t, rec.Header().Get("Access-Control-Max-Age"))
			}
			if tc.status == http.StatusForbidden {
				assert.JSONEq(t, `{"error":"negotiate: origin \"https://evil.example.com\" is not in HandlerOptions.AllowedOrigins"}`, rec.Body.String())
			}
		})
	}
}

// Misconfiguration is an error when the handler is built, never a failure of every request.
func TestHandlerConfigurationErrors(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;AccessKey="+testKey, nil)
	cases := []struct {
		name string
		n    *Negotiator
		hub  string
		opts *HandlerOptions
		msg  string
	}{
		{"wildcard origin", n, "chat", &HandlerOptions{AllowedOrigins: []string{"*"}}, `AllowedOrigins contains "*"`},
		{"empty origin", n, "chat", &HandlerOptions{AllowedOrigins: []string{"https://a.example.com", " "}}, "AllowedOrigins"},
		{"nil negotiator", nil, "chat", nil, "no Negotiator"},
		{"zero negotiator", &Negotiator{}, "chat", nil, "no Negotiator"},
		{"invalid hub", n, "no/hub", nil, `hub name "no/hub" is invalid`},
		{"empty hub", n, "", nil, "hub name"},
		{"lifetime too short", n, "chat", &HandlerOptions{Lifetime: time.Second}, "HandlerOptions.Lifetime: negotiate: token lifetime 1s is out of range"},
		{"lifetime too long", n, "chat", &HandlerOptions{Lifetime: 48 * time.Hour}, "out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Handler(tc.n, tc.hub, tc.opts)
			require.ErrorContains(t, err, tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "negotiate: "), err.Error())
			assert.Nil(t, h)
		})
	}
}

// TestHandlerOverHTTP runs the handler behind a real listener, as a browser would reach it.
func TestHandlerOverHTTP(t *testing.T) {
	srv := httptest.NewServer(testHandler(t, &HandlerOptions{AllowedOrigins: []string{"http://localhost:8080"}}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/negotiate?negotiateVersion=1", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://localhost:8080")
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "http://localhost:8080", resp.Header.Get("Access-Control-Allow-Origin"))
	var info ConnectionInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	assert.Equal(t, "https://x.service.signalr.net/client/?hub=chat", info.URL)
	parseToken(t, info.AccessToken, testKey, testAudience)
}
