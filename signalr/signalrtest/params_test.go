package signalrtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// ttl and minutesToExpire are int32 in the service's swagger (spec §8): values outside the
// range are a 400 naming the parameter and the range, never a wrapped duration (ttl
// 18446744074 used to expire at once, minutesToExpire 2147483647 to mint an expired token).
func TestIntegerParametersAreInt32(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	cases := []struct {
		path   string
		status int
		reason string
	}{
		{"/api/hubs/chat/users/u/groups/g?ttl=0", 200, ""},
		{"/api/hubs/chat/users/u/groups/g?ttl=2147483647", 200, ""},
		{"/api/hubs/chat/users/u/groups/g?ttl=2147483648", 400, "invalid ttl; expected a whole number of seconds from 0 to 2147483647"},
		{"/api/hubs/chat/users/u/groups/g?ttl=18446744074", 400, "invalid ttl; expected a whole number of seconds from 0 to 2147483647"},
		{"/api/hubs/chat/users/u/groups/g?ttl=-1", 400, "invalid ttl"},
		{"/api/hubs/chat/users/u/groups/g?ttl=1.5", 400, "invalid ttl"},
		{"/api/v1/hubs/chat/groups/g/users/u?ttl=99999999999999999999", 400, "invalid ttl"},
		{"/api/hubs/chat/:generateToken?minutesToExpire=1", 200, ""},
		{"/api/hubs/chat/:generateToken?minutesToExpire=2147483647", 200, ""},
		{"/api/hubs/chat/:generateToken?minutesToExpire=2147483648", 400, "invalid minutesToExpire; expected a whole number of minutes from 1 to 2147483647"},
		{"/api/hubs/chat/:generateToken?minutesToExpire=0", 400, "from 1 to 2147483647"},
		{"/api/hubs/chat/:generateToken?minutesToExpire=-5", 400, "from 1 to 2147483647"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			method := http.MethodPut
			if strings.Contains(tc.path, ":generateToken") {
				method = http.MethodPost
			}
			res := rest(t, s, method, tc.path, nil)
			if tc.status == http.StatusOK && strings.HasPrefix(tc.path, "/api/v1/") {
				tc.status = http.StatusAccepted
			}
			require.Equal(t, tc.status, res.status, string(res.body))
			if tc.reason != "" {
				var e struct{ Code, Message string }
				require.NoError(t, json.Unmarshal(res.body, &e))
				assert.Equal(t, codeInvalidRequest, e.Code)
				assert.Contains(t, e.Message, tc.reason)
			}
		})
	}

	// The largest ttl is a membership (capped at the service's year), not an expired one.
	require.Equal(t, http.StatusOK, rest(t, s, http.MethodPut, "/api/hubs/chat/users/v/groups/g?ttl=2147483647", nil).status)
	ug := s.UserGroups("chat", "v")
	require.Len(t, ug, 1)
	assert.Equal(t, clock.Now().Add(365*24*time.Hour), ug[0].Expires)

	// The longest-lived token is valid, with exp 2^31-1 minutes ahead.
	res := rest(t, s, http.MethodPost, "/api/hubs/chat/:generateToken?userId=zoe&minutesToExpire=2147483647", nil)
	require.Equal(t, http.StatusOK, res.status)
	var body struct{ Token string }
	require.NoError(t, json.Unmarshal(res.body, &body))
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithTimeFunc(clock.Now)).ParseWithClaims(body.Token, claims, func(*jwt.Token) (any, error) { return []byte(DefaultAccessKey), nil })
	require.NoError(t, err)
	exp, err := claims.GetExpirationTime()
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Unix()+2147483647*60, exp.Unix())
	status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", body.Token)
	assert.Equal(t, http.StatusOK, status, "negotiate accepts the token")
}

// Names are limited to 1024 UTF-16 code units, as .NET counts them: a 1024-character name in
// any script works end to end, through the signalr client too, although its REST token then
// exceeds the 4096 characters allowed to client tokens.
func TestLongNamesCountUTF16CodeUnits(t *testing.T) {
	s := newTestServer(t, nil)
	cjk := strings.Repeat("群", 1024)         // 1024 units, 3072 UTF-8 bytes
	emoji := strings.Repeat("😀", 512)        // 1024 units, 2048 UTF-8 bytes
	tooManyEmoji := strings.Repeat("😀", 513) // 1026 units
	tooManyCJK := strings.Repeat("群", 1025)

	c := connectWS(t, s, "chat", "u", hubproto.JSON)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
	esc := url.PathEscape

	for _, g := range []string{cjk, emoji} {
		res := rest(t, s, http.MethodPut, "/api/hubs/chat/groups/"+esc(g)+"/connections/"+c.id, nil)
		require.Equal(t, http.StatusOK, res.status, string(res.body))
		res = rest(t, s, http.MethodPost, "/api/hubs/chat/groups/"+esc(g)+"/:send", map[string]any{"target": "long", "arguments": []any{len(g)}})
		require.Equal(t, http.StatusAccepted, res.status, string(res.body))
		assert.Equal(t, "long", c.read(false).Target)
		assert.Equal(t, http.StatusOK, rest(t, s, http.MethodHead, "/api/hubs/chat/groups/"+esc(g), nil).status)
		assert.Equal(t, http.StatusOK, rest(t, s, http.MethodGet, "/api/hubs/chat/groups/"+esc(g)+"/connections", nil).status)
	}
	res := rest(t, s, http.MethodPut, "/api/hubs/chat/users/"+esc(cjk)+"/groups/"+esc(cjk), nil)
	require.Equal(t, http.StatusOK, res.status, "a 1024-character user in a 1024-character group: %s", res.body)
	assert.Equal(t, http.StatusOK, rest(t, s, http.MethodHead, "/api/hubs/chat/users/"+esc(cjk)+"/groups/"+esc(cjk), nil).status)
	res = rest(t, s, http.MethodPost, "/api/hubs/chat/:execute", []map[string]any{{"type": "JoinGroup", "group": emoji}})
	require.Equal(t, http.StatusAccepted, res.status, string(res.body))

	for _, g := range []string{tooManyEmoji, tooManyCJK} {
		res := rest(t, s, http.MethodPost, "/api/hubs/chat/groups/"+esc(g)+"/:send", map[string]any{"target": "x"})
		assert.Equal(t, http.StatusBadRequest, res.status)
		assert.Contains(t, string(res.body), "expected 1 to 1024 characters (UTF-16 code units)")
		res = rest(t, s, http.MethodPost, "/api/hubs/chat/:execute", []map[string]any{{"type": "JoinGroup", "group": g}})
		assert.Equal(t, http.StatusBadRequest, res.status)
		assert.Contains(t, string(res.body), "UTF-16 code units")
	}

	t.Run("signalr client", func(t *testing.T) {
		client, err := signalr.NewClientFromConnectionString(s.ConnectionString(), nil)
		require.NoError(t, err)
		hub, err := client.Hub("chat")
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		group := strings.Repeat("組", 1024)
		_, err = hub.AddConnectionToGroup(ctx, group, c.id, nil)
		require.NoError(t, err)
		_, err = hub.SendToGroup(ctx, group, signalr.Message{Target: "viaClient"}, nil)
		require.NoError(t, err)
		assert.Equal(t, "viaClient", c.read(false).Target)
		_, err = hub.AddUserToGroup(ctx, cjk, cjk, nil)
		require.NoError(t, err)
		in, err := hub.UserInGroup(ctx, cjk, cjk, nil)
		require.NoError(t, err)
		assert.True(t, in)
	})
}
