package signalrtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		name        string
		query       string
		status      int
		version     int
		token       bool // connectionToken present
		stateful    bool
		errContains string
	}{
		{"v1", "hub=chat&negotiateVersion=1", 200, 1, true, false, ""},
		{"v0 when absent", "hub=chat", 200, 0, false, false, ""},
		{"higher version answers 1", "hub=chat&negotiateVersion=5", 200, 1, true, false, ""},
		{"stateful only when asked", "hub=chat&negotiateVersion=1&useStatefulReconnect=true", 200, 1, true, true, ""},
		{"bad version", "hub=chat&negotiateVersion=x", 200, 0, false, false, "invalid protocol version"},
		{"duplicate hub", "hub=chat&hub=chat&negotiateVersion=1", 400, 0, false, false, ""},
		{"missing hub", "negotiateVersion=1", 400, 0, false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			status, nr, body := negotiate(t, s, tc.query, clientToken(t, s, "chat", "u"))
			require.Equal(t, tc.status, status, string(body))
			if status != http.StatusOK {
				return
			}
			if tc.errContains != "" {
				var e struct{ Error string }
				require.NoError(t, json.Unmarshal(body, &e))
				assert.Contains(t, e.Error, tc.errContains)
				return
			}
			assert.Equal(t, tc.version, nr.NegotiateVersion)
			assert.NotEmpty(t, nr.ConnectionID)
			assert.Equal(t, tc.token, nr.ConnectionToken != "")
			assert.Equal(t, tc.stateful, nr.UseStatefulReconnect)
			assert.Equal(t, availableTransports, nr.AvailableTransports)
			var raw map[string]any
			require.NoError(t, json.Unmarshal(body, &raw))
			_, has := raw["useStatefulReconnect"]
			assert.Equal(t, tc.stateful, has, "useStatefulReconnect appears only when asked for")
		})
	}
}

func TestNegotiateAuth(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	claims := func(aud string, exp time.Duration) jwt.MapClaims {
		return jwt.MapClaims{"aud": aud, "exp": clock.Now().Add(exp).Unix(), "nameid": "u"}
	}
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"valid", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=chat", time.Hour)), 200},
		{"SDK audience without port", sign(t, DefaultAccessKey, claims("http://127.0.0.1/client/?hub=chat", time.Hour)), 200},
		{"hub case differs", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=CHAT", time.Hour)), 200},
		{"other hub", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=other", time.Hour)), 401},
		{"REST audience", sign(t, DefaultAccessKey, claims(s.URL+"/api/hubs/chat", time.Hour)), 401},
		{"expired", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=chat", -time.Hour)), 401},
		{"wrong key", sign(t, "other", claims(s.URL+"/client/?hub=chat", time.Hour)), 401},
		{"none", "", 401},
		{"too large", sign(t, DefaultAccessKey, jwt.MapClaims{"aud": s.URL + "/client/?hub=chat", "exp": clock.Now().Add(time.Hour).Unix(), "pad": strings.Repeat("x", 5000)}), 413},
		// A client token must name its hub, on the request's scheme and host (spec §8).
		{"audience without a hub", sign(t, DefaultAccessKey, claims(s.URL+"/client/", time.Hour)), 401},
		{"audience with an empty hub", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=", time.Hour)), 401},
		{"audience with two hubs", sign(t, DefaultAccessKey, claims(s.URL+"/client/?hub=chat&hub=other", time.Hour)), 401},
		{"audience on another host", sign(t, DefaultAccessKey, claims("http://localhost/client/?hub=chat", time.Hour)), 401},
		{"audience with another scheme", sign(t, DefaultAccessKey, claims("https://127.0.0.1/client/?hub=chat", time.Hour)), 401},
		{"audience on another port", sign(t, DefaultAccessKey, claims("http://127.0.0.1:1/client/?hub=chat", time.Hour)), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", tc.token)
			assert.Equal(t, tc.status, status)
		})
	}
	t.Run("the 401 says why", func(t *testing.T) {
		for aud, reason := range map[string]string{
			s.URL + "/client/":                  "a client token's audience must name its hub, as in http://127.0.0.1/client/?hub=chat",
			s.URL + "/client/?hub=other":        "the audience names another hub; expected http://127.0.0.1/client/?hub=chat",
			"http://localhost/client/?hub=chat": "its scheme and host must be those of the request, http://127.0.0.1 (the port is ignored)",
			s.URL + "/api/hubs/chat":            "a client token's audience must be the client endpoint",
		} {
			req, err := http.NewRequest(http.MethodPost, s.URL+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+sign(t, DefaultAccessKey, claims(aud, time.Hour)))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, aud)
			wa := resp.Header.Get("WWW-Authenticate")
			assert.Contains(t, wa, `error_description="The audience is invalid: `+reason, aud)
		}
	})
	t.Run("access_token query", func(t *testing.T) {
		resp, err := http.Post(s.URL+"/client/negotiate?hub=chat&negotiateVersion=1&access_token="+clientToken(t, s, "chat", "u"), "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/client/negotiate?hub=chat")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

func TestUserIDClaims(t *testing.T) {
	cases := []struct {
		name   string
		claims jwt.MapClaims
		want   string
	}{
		{"asrs.s.uid wins", jwt.MapClaims{"asrs.s.uid": "a", "nameid": "b", "sub": "c"}, "a"},
		{"nameid", jwt.MapClaims{"nameid": "b", "sub": "c"}, "b"},
		{"sub", jwt.MapClaims{"sub": "c"}, "c"},
		{"none", jwt.MapClaims{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			tc.claims["aud"] = s.URL + "/client/?hub=chat"
			tc.claims["exp"] = time.Now().Add(time.Hour).Unix()
			tok := sign(t, DefaultAccessKey, tc.claims)
			status, nr, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", tok)
			require.Equal(t, http.StatusOK, status)
			c := &wsClient{t: t, id: nr.ConnectionID, token: nr.ConnectionToken}
			c.ws = c.open(s, "chat", tok) // the connection belongs to the token's user
			c.handshake(hubproto.JSON, 1)
			eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
			assert.Equal(t, tc.want, s.Connections("chat")[0].UserID)
		})
	}
}

func TestConnectAfterNegotiateExpiry(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	tok := clientToken(t, s, "chat", "")
	_, nr, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", tok)
	clock.Advance(6 * time.Second)
	tok = clientToken(t, s, "chat", "")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/client/?hub=chat&id="+nr.ConnectionToken, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	req, _ = http.NewRequest(http.MethodGet, s.URL+"/client/?hub=chat&id=unknown", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestConnectionQuota(t *testing.T) {
	s := newTestServer(t, &Options{MaxConnections: 2})
	connectWS(t, s, "chat", "", hubproto.JSON)
	connectWS(t, s, "chat", "", hubproto.JSON)
	status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", clientToken(t, s, "chat", ""))
	assert.Equal(t, http.StatusTooManyRequests, status)
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, nil)
	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,x-requested-with,x-signalr-user-agent")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "authorization,x-requested-with,x-signalr-user-agent", resp.Header.Get("Access-Control-Allow-Headers"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")

	req, _ = http.NewRequest(http.MethodPost, s.URL+"/client/negotiate?hub=chat&negotiateVersion=1", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Authorization", "Bearer "+clientToken(t, s, "chat", ""))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
}
