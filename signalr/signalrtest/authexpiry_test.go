package signalrtest

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// connectWithClaims negotiates with a client token carrying extra claims and opens a
// WebSocket connection in the JSON protocol.
func connectWithClaims(t *testing.T, s *Server, now time.Time, extra jwt.MapClaims) *wsClient {
	t.Helper()
	claims := jwt.MapClaims{"aud": s.URL + "/client/?hub=chat", "exp": now.Add(time.Hour).Unix(), "nameid": "u"}
	for k, v := range extra {
		claims[k] = v
	}
	tok := sign(t, DefaultAccessKey, claims)
	status, nr, body := negotiate(t, s, "hub=chat&negotiateVersion=1", tok)
	require.Equal(t, http.StatusOK, status, string(body))
	c := &wsClient{t: t, id: nr.ConnectionID, token: nr.ConnectionToken}
	c.ws = c.open(s, "chat", tok)
	c.handshake(hubproto.JSON, 1)
	return c
}

// The service closes a connection whose token carried asrs.s.coae once the time in
// asrs.s.aeo passes, scanning about every second, with a Close that allows reconnecting
// (azure-signalr specs/CloseOnAuthenticationExpire.md). Tokens without the claims, or with
// coae false, are not affected.
func TestCloseOnAuthenticationExpiry(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	now := clock.Now()
	aeo := now.Add(10 * time.Minute).Unix()

	asString := connectWithClaims(t, s, now, jwt.MapClaims{"asrs.s.coae": "true", "asrs.s.aeo": strconv.FormatInt(aeo, 10)})
	asNumber := connectWithClaims(t, s, now, jwt.MapClaims{"asrs.s.coae": true, "asrs.s.aeo": aeo})
	later := connectWithClaims(t, s, now, jwt.MapClaims{"asrs.s.coae": "True", "asrs.s.aeo": strconv.FormatInt(now.Add(30*time.Minute).Unix(), 10)})
	off := connectWithClaims(t, s, now, jwt.MapClaims{"asrs.s.coae": "false", "asrs.s.aeo": strconv.FormatInt(aeo, 10)})
	plain := connectWithClaims(t, s, now, nil)
	eventually(t, "five connections", func() bool { return len(s.Connections("chat")) == 5 })

	// Nothing happens before the expiry.
	time.Sleep(authScanInterval + 200*time.Millisecond)
	require.Len(t, s.Connections("chat"), 5)

	clock.Advance(11 * time.Minute)
	for _, c := range []*wsClient{asString, asNumber} {
		m := c.readType(hubproto.TypeClose)
		assert.True(t, m.AllowReconnect, "the client may reconnect")
		assert.Contains(t, m.Error, "authentication expired")
		_, _, err := c.ws.Read(testCtx(t))
		assert.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err))
	}
	eventually(t, "the expired connections gone", func() bool { return len(s.Connections("chat")) == 3 })
	time.Sleep(authScanInterval + 200*time.Millisecond)
	ids := map[string]bool{}
	for _, c := range s.Connections("chat") {
		ids[c.ID] = true
	}
	assert.Equal(t, map[string]bool{later.id: true, off.id: true, plain.id: true}, ids, "only the expired ones were closed")

	clock.Advance(20 * time.Minute)
	m := later.readType(hubproto.TypeClose)
	assert.True(t, m.AllowReconnect)
	eventually(t, "the later one gone", func() bool { return len(s.Connections("chat")) == 2 })
	s.mu.Lock()
	watched := len(s.authWatch)
	s.mu.Unlock()
	assert.Zero(t, watched)
	eventually(t, "the scan to stop with nothing to watch", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.authScanning
	})
}

// With asrs.s.coae but no readable asrs.s.aeo, the token's own exp is the authentication's
// expiry.
func TestCloseOnAuthenticationExpiryFallsBackToExp(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, &Options{Now: clock.Now})
	c := connectWithClaims(t, s, clock.Now(), jwt.MapClaims{"asrs.s.coae": "true", "asrs.s.aeo": "soon"})
	clock.Advance(61 * time.Minute)
	m := c.readType(hubproto.TypeClose)
	assert.True(t, m.AllowReconnect)
	assert.Contains(t, m.Error, "authentication expired")
}
