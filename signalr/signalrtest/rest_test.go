package signalrtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

var payload = map[string]any{"target": "t", "arguments": []any{1}}

func TestRESTStatusCodes(t *testing.T) {
	long := strings.Repeat("g", 1025)
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"HEAD", "/api/health", nil, 200, ""},
		{"GET", "/api/v1/health", nil, 200, ""},
		{"POST", "/api/hubs/chat/:send?api-version=2022-06-01", payload, 202, ""},
		{"POST", "/api/hubs/chat/:send", map[string]any{"arguments": []any{}}, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/:send", "not json", 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/:send", map[string]any{"target": "t", "arguments": "x"}, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/:send?application=app", payload, 202, ""},
		{"POST", "/api/hubs/chat/users/alice/:send", payload, 202, ""},
		{"POST", "/api/hubs/chat/connections/{cid}/:send", payload, 202, ""},
		{"POST", "/api/hubs/chat/connections/nobody/:send", payload, 202, ""},
		{"POST", "/api/hubs/chat/groups/g1/:send?excluded=a&excluded=b", payload, 202, ""},
		{"POST", "/api/hubs/chat/:closeConnections?excluded={cid}&reason=r", nil, 204, ""},
		{"POST", "/api/hubs/chat/groups/g1/:closeConnections", nil, 204, ""},
		{"POST", "/api/hubs/chat/users/alice/:closeConnections", nil, 204, ""},
		{"DELETE", "/api/hubs/chat/connections/{cid}", nil, 200, ""},
		{"DELETE", "/api/hubs/chat/connections/nobody", nil, 404, codeConnectionNotExisted},
		{"HEAD", "/api/hubs/chat/connections/{cid}", nil, 200, ""},
		{"HEAD", "/api/hubs/chat/connections/nobody", nil, 404, codeConnectionNotExisted},
		{"HEAD", "/api/hubs/chat/users/alice", nil, 200, ""},
		{"HEAD", "/api/hubs/chat/users/bob", nil, 404, codeUserNotExisted},
		{"HEAD", "/api/hubs/chat/groups/g1", nil, 404, codeGroupNotExisted},
		{"PUT", "/api/hubs/chat/groups/g1/connections/{cid}", nil, 200, ""},
		{"PUT", "/api/hubs/chat/groups/g1/connections/nobody", nil, 404, codeConnectionNotExistedE},
		{"DELETE", "/api/hubs/chat/groups/g1/connections/{cid}", nil, 200, ""},
		{"DELETE", "/api/hubs/chat/groups/g1/connections/nobody", nil, 200, ""},
		{"DELETE", "/api/hubs/chat/connections/{cid}/groups", nil, 200, ""},
		{"PUT", "/api/hubs/chat/users/alice/groups/g1", nil, 200, ""},
		{"PUT", "/api/hubs/chat/users/alice/groups/g1?ttl=60", nil, 200, ""},
		{"PUT", "/api/hubs/chat/users/alice/groups/g1?ttl=abc", nil, 400, codeInvalidRequest},
		{"PUT", "/api/hubs/chat/users/alice/groups/g1?ttl=-1", nil, 400, codeInvalidRequest},
		{"DELETE", "/api/hubs/chat/users/alice/groups/g1", nil, 204, ""},
		{"HEAD", "/api/hubs/chat/users/alice/groups/g1", nil, 404, codeUserNotInGroup},
		{"GET", "/api/hubs/chat/users/alice/groups/g1", nil, 404, codeUserNotInGroup},
		{"DELETE", "/api/hubs/chat/users/alice/groups", nil, 204, ""},
		{"POST", "/api/hubs/chat/:generateToken?userId=u&minutesToExpire=5", nil, 200, ""},
		{"POST", "/api/hubs/chat/:generateToken?minutesToExpire=0", nil, 400, codeInvalidRequest},
		{"GET", "/api/hubs/chat/groups/g1/connections", nil, 200, ""},
		{"GET", "/api/hubs/chat/groups/g1/connections?maxpagesize=500", nil, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/connections/{cid}/streams/s1/:send?completed=true", 7, 202, ""},
		{"POST", "/api/hubs/chat/connections/{cid}/streams/s1/:complete?reason=x", nil, 202, ""},
		{"POST", "/api/hubs/chat/connections/{cid}/streams/s1/:send", "{bad", 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/connections/nobody/:invoke", payload, 404, codeConnectionNotExistedE},
		{"POST", "/api/hubs/1chat/:send", payload, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/:send?application=1app", payload, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/groups/%20%20/:send", payload, 400, codeInvalidRequest},
		{"POST", "/api/hubs/chat/groups/" + long + "/:send", payload, 400, codeInvalidRequest},
		{"PATCH", "/api/hubs/chat/users/alice", nil, 405, codeInvalidRequest},
		{"GET", "/api/hubs/chat/:send", nil, 405, codeInvalidRequest},
		{"POST", "/api/hubs/chat/nothing/here", nil, 404, ""},
		{"GET", "/api/elsewhere", nil, 404, ""},
		// Legacy v1 routes and their status codes.
		{"POST", "/api/v1/hubs/chat", payload, 202, ""},
		{"POST", "/api/v1/hubs/chat/users/alice", payload, 202, ""},
		{"POST", "/api/v1/hubs/chat/connections/{cid}", payload, 202, ""},
		{"POST", "/api/v1/hubs/chat/groups/g1", payload, 202, ""},
		{"GET", "/api/v1/hubs/chat/connections/{cid}", nil, 200, ""},
		{"GET", "/api/v1/hubs/chat/users/alice", nil, 200, ""},
		{"GET", "/api/v1/hubs/chat/groups/g1/users/alice", nil, 404, codeUserNotInGroup},
		{"PUT", "/api/v1/hubs/chat/groups/g1/users/alice?ttl=10", nil, 202, ""},
		{"DELETE", "/api/v1/hubs/chat/groups/g1/users/alice", nil, 202, ""},
		{"DELETE", "/api/v1/hubs/chat/users/alice/groups", nil, 200, ""},
		{"PUT", "/api/v1/hubs/chat/groups/g1/connections/{cid}", nil, 200, ""},
		{"PUT", "/api/v1/hubs/chat/groups/g1/connections/nobody", nil, 404, codeConnectionNotExistedE},
		{"DELETE", "/api/v1/hubs/chat/groups/g1/connections/nobody", nil, 404, codeConnectionNotExistedE},
		{"PUT", "/api/v1/hubs/chat/connections/{cid}/groups/g1", nil, 200, ""},
		{"DELETE", "/api/v1/hubs/chat/connections/{cid}", nil, 202, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			s := newTestServer(t, nil)
			c := connectWS(t, s, "chat", "alice", hubproto.JSON)
			eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
			path := strings.ReplaceAll(tc.path, "{cid}", c.id)
			res := rest(t, s, tc.method, path, tc.body)
			assert.Equal(t, tc.status, res.status, string(res.body))
			assert.Equal(t, tc.code, res.header.Get("x-ms-error-code"))
			if tc.code != "" && tc.method != http.MethodHead {
				var e struct{ Code, Message string }
				require.NoError(t, json.Unmarshal(res.body, &e))
				assert.Equal(t, tc.code, e.Code)
				assert.NotEmpty(t, e.Message)
			}
			calls := s.RESTCalls()
			if strings.HasPrefix(path, "/api/") {
				require.NotEmpty(t, calls)
				assert.Equal(t, tc.status, calls[len(calls)-1].Status)
			}
		})
	}
}

func TestRESTAuth(t *testing.T) {
	clock := newFakeClock()
	const path = "/api/hubs/chat/:send"
	type tc struct {
		name   string
		token  func(s *Server) string
		status int
		desc   string
	}
	mk := func(key string, aud any, exp time.Duration, extra jwt.MapClaims) func(s *Server) string {
		return func(s *Server) string {
			now := clock.Now()
			c := jwt.MapClaims{"aud": aud, "exp": now.Add(exp).Unix()}
			if a, ok := aud.(string); ok {
				c["aud"] = strings.ReplaceAll(a, "{url}", s.URL)
			}
			for k, v := range extra {
				c[k] = v
			}
			return sign(t, key, c)
		}
	}
	cases := []tc{
		{"primary key", mk(DefaultAccessKey, "{url}"+path, time.Hour, nil), 202, ""},
		{"secondary key", mk(secondKey, "{url}"+path, time.Hour, nil), 202, ""},
		{"old SDK audience with query and no port", mk(DefaultAccessKey, "http://127.0.0.1"+path+"?api-version=2022-06-01", time.Hour, nil), 202, ""},
		{"audience with trailing slash and other case", mk(DefaultAccessKey, "{url}/API/hubs/Chat/:send/", time.Hour, nil), 202, ""},
		{"audience array without a match", mk(DefaultAccessKey, []string{"x", "{url}" + path}, time.Hour, nil), 401, "The audience is invalid"},
		{"within leeway", mk(DefaultAccessKey, "{url}"+path, -10*time.Second, nil), 202, ""},
		{"no token", func(*Server) string { return "" }, 401, ""},
		{"garbage", func(*Server) string { return "abc.def.ghi" }, 401, "The token is invalid"},
		{"wrong key", mk("nope", "{url}"+path, time.Hour, nil), 401, "The signature is invalid"},
		{"expired", mk(DefaultAccessKey, "{url}"+path, -time.Hour, nil), 401, "The token expired"},
		{"not yet valid", mk(DefaultAccessKey, "{url}"+path, time.Hour, jwt.MapClaims{"nbf": clock.Now().Add(time.Hour).Unix()}), 401, "The token is invalid"},
		{"wrong audience", mk(DefaultAccessKey, "{url}/api/hubs/other/:send", time.Hour, nil), 401, "The audience is invalid"},
		{"no expiry", func(s *Server) string { return sign(t, DefaultAccessKey, jwt.MapClaims{"aud": s.URL + path}) }, 401, "The token is invalid"},
		{"HS512", func(s *Server) string {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"aud": s.URL + path, "exp": clock.Now().Add(time.Hour).Unix()}).SignedString([]byte(DefaultAccessKey))
			require.NoError(t, err)
			return tok
		}, 202, ""},
		{"too long", func(*Server) string { return strings.Repeat("a", 5000) }, 401, "The token is invalid"},
		// Scheme and host must be the request's; the port is ignored (spec §8).
		{"audience on another port", mk(DefaultAccessKey, "http://127.0.0.1:1"+path, time.Hour, nil), 202, ""},
		{"audience on another host", mk(DefaultAccessKey, "http://localhost"+path, time.Hour, nil), 401, "its scheme and host must be those of the request, http://127.0.0.1"},
		{"audience with another scheme", mk(DefaultAccessKey, "https://127.0.0.1"+path, time.Hour, nil), 401, "its scheme and host must be those of the request"},
		{"audience without scheme and host", mk(DefaultAccessKey, path, time.Hour, nil), 401, "The audience is invalid"},
		{"audience on another path", mk(DefaultAccessKey, "{url}/api/hubs/chat/users/u/:send", time.Hour, nil), 401, "its path must be the request path; expected http://127.0.0.1/api/hubs/chat/:send"},
		// The 4096-character limit is for client tokens; a REST token's aud is its URL.
		{"REST token longer than 4096 characters", mk(DefaultAccessKey, "{url}"+path, time.Hour, jwt.MapClaims{"pad": strings.Repeat("x", 20000)}), 202, ""},
		{"REST token longer than 32 KiB", mk(DefaultAccessKey, "{url}"+path, time.Hour, jwt.MapClaims{"pad": strings.Repeat("x", 33<<10)}), 401, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(t, &Options{SecondaryAccessKey: secondKey, Now: clock.Now})
			res := restWithToken(t, s, http.MethodPost, path, payload, c.token(s), "application/json")
			assert.Equal(t, c.status, res.status)
			if c.status == http.StatusUnauthorized {
				assert.Empty(t, res.body, "401 has an empty body")
				wa := res.header.Get("WWW-Authenticate")
				assert.True(t, strings.HasPrefix(wa, "Bearer"), wa)
				if c.desc != "" {
					assert.Contains(t, wa, c.desc)
				}
				assert.NotContains(t, wa, DefaultAccessKey)
			}
		})
	}
}

func TestRESTAudienceArrayMatchesAny(t *testing.T) {
	s := newTestServer(t, nil)
	tok := sign(t, DefaultAccessKey, jwt.MapClaims{"aud": []string{"http://x/other", s.URL + "/api/hubs/chat/:send"}, "exp": time.Now().Add(time.Hour).Unix()})
	res := restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", payload, tok, "")
	assert.Equal(t, http.StatusAccepted, res.status)
}

func TestRESTEntraTokens(t *testing.T) {
	const entra = "entra-token"
	s := newTestServer(t, &Options{TokenValidator: func(_ context.Context, tok string) error {
		if tok == entra {
			return nil
		}
		return errors.New("bad token")
	}})
	res := restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", payload, entra, "")
	assert.Equal(t, http.StatusAccepted, res.status)
	res = restWithToken(t, s, http.MethodPost, "/api/hubs/chat/:send", payload, "other", "")
	assert.Equal(t, http.StatusUnauthorized, res.status)

	// The temporary key flow: fetch a key, sign a client token with kid=KeyId.
	res = restWithToken(t, s, http.MethodGet, "/api/v1/auth/accessKey", nil, entra, "")
	require.Equal(t, http.StatusOK, res.status)
	var key struct{ KeyId, AccessKey string }
	require.NoError(t, json.Unmarshal(res.body, &key))
	require.NotEmpty(t, key.KeyId)
	require.Len(t, key.AccessKey, 44)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"aud": s.URL + "/client/?hub=chat", "exp": time.Now().Add(time.Hour).Unix(), "nameid": "carol"})
	tok.Header["kid"] = key.KeyId
	signed, err := tok.SignedString([]byte(key.AccessKey))
	require.NoError(t, err)
	status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", signed)
	assert.Equal(t, http.StatusOK, status)

	// A client token signed with the temporary key but another kid is rejected.
	tok.Header["kid"] = "other"
	signed, err = tok.SignedString([]byte(key.AccessKey))
	require.NoError(t, err)
	status, _, _ = negotiate(t, s, "hub=chat&negotiateVersion=1", signed)
	assert.Equal(t, http.StatusUnauthorized, status)

	res = restWithToken(t, s, http.MethodGet, "/api/v1/auth/accessKey", nil, "bad", "")
	assert.Equal(t, http.StatusUnauthorized, res.status)
}
