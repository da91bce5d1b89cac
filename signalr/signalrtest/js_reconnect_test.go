package signalrtest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// A REST close sends Close{allowReconnect:true}; a client with automatic reconnect then
// negotiates again and carries on under a new connection id.
func TestJSClientAutomaticReconnectAfterServerClose(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		hubName := hubName("autoreconnect", combo)
		c := e.start(t, combo, hubName, "phoenix", jsclient.Config{
			AutomaticReconnect: true,
			ReconnectDelays:    []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond},
			Targets:            []string{"hello"},
		})
		hub := hubOf(t, e.client, hubName)
		oldID := c.ConnectionID()

		_, err := hub.CloseConnection(ctx, oldID, &signalr.CloseConnectionOptions{Reason: "recycling"})
		require.NoError(t, err)
		ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventReconnecting))
		require.NoError(t, err)
		assert.Contains(t, ev.Error, "recycling")
		ev, err = c.WaitFor(ctx, jsclient.IsKind(jsclient.EventReconnected))
		require.NoError(t, err)
		newID := ev.ConnectionID
		require.NotEmpty(t, newID)
		assert.NotEqual(t, oldID, newID, "automatic reconnect is a new connection")

		state, id, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Connected", state)
		assert.Equal(t, newID, id)

		_, err = hub.SendToConnection(ctx, newID, signalr.Message{Target: "hello", Arguments: []any{"again"}}, nil)
		require.NoError(t, err)
		msg, err := c.WaitFor(ctx, jsclient.IsMessage("hello"))
		require.NoError(t, err)
		assert.JSONEq(t, `"again"`, string(msg.Args[0]))
		e.up.wait(t, "connected event of the new connection", event(newID, "connections", "connected"))
		e.up.wait(t, "disconnected event of the old connection", event(oldID, "connections", "disconnected"))
		for _, p := range c.Pending() {
			assert.NotEqual(t, jsclient.EventClose, p.Kind, "the client must not close")
		}
	})
}

// With stateful reconnect a dropped WebSocket is reopened under the same connection: messages
// the service sent while the socket was dead are replayed, those the client had already seen
// are not delivered twice, and the client's own sends during the gap reach the upstream once.
func TestJSClientStatefulReconnectLosesNothing(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	for _, combo := range jsclient.Combinations() {
		if combo.Transport != jsclient.WebSockets {
			continue // the client enables stateful reconnect on WebSockets only
		}
		t.Run(combo.Name(), func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t)
			hubName := hubName("stateful", combo)
			c := e.start(t, combo, hubName, "steady", jsclient.Config{StatefulReconnect: true, Targets: []string{"seq"}})
			id := c.ConnectionID()
			infos := e.srv.Connections(hubName)
			require.Len(t, infos, 1)
			assert.True(t, infos[0].Stateful, "the emulator negotiated stateful reconnect")

			hub := hubOf(t, e.client, hubName)
			const total = 90
			sendRange := func(from, to int) {
				for i := from; i < to; i++ {
					_, err := hub.SendToConnection(ctx, id, signalr.Message{Target: "seq", Arguments: []any{i}}, nil)
					require.NoError(t, err)
				}
			}
			sendRange(0, 30)
			// Drop while messages keep coming: some are written to the dead socket, some are
			// queued while the client reconnects.
			done := make(chan struct{})
			go func() {
				defer close(done)
				sendRange(30, 60)
			}()
			require.NoError(t, c.DropWebSocket(ctx))
			for i := 0; i < 10; i++ {
				require.NoError(t, c.Send(ctx, "gap", itoa(i)))
			}
			<-done
			sendRange(60, total)

			for i := 0; i < total; i++ {
				ev, err := c.WaitFor(ctx, jsclient.IsMessage("seq"))
				require.NoError(t, err, "message %d", i)
				var n int
				require.NoError(t, ev.Arg(0, &n))
				require.Equal(t, i, n, "messages arrive once each, in order")
			}
			for i := 0; i < 10; i++ {
				e.up.wait(t, "send during the gap", func(u upstreamCall) bool {
					var arg string
					return u.ConnectionID == id && strings.EqualFold(u.Event, "gap") && len(u.Message.Arguments) == 1 &&
						u.Message.Arguments[0].Decode(&arg) == nil && arg == itoa(i)
				})
			}
			assert.Equal(t, 10, e.up.count(event(id, "messages", "gap")), "each send reaches the upstream exactly once")

			state, gotID, err := c.State(ctx)
			require.NoError(t, err)
			assert.Equal(t, "Connected", state)
			assert.Equal(t, id, gotID, "stateful reconnect keeps the connection")
			for _, p := range c.Pending() {
				assert.NotContains(t, []jsclient.EventKind{jsclient.EventClose, jsclient.EventReconnecting}, p.Kind)
			}
			assert.Equal(t, 0, e.up.count(event(id, "connections", "disconnected")), "no disconnected event for a resumed connection")
		})
	}
}

// A token minted with asrs.s.coae/asrs.s.aeo (as negotiate's AuthenticationExpiresOn does) is
// enforced as by the service: once the authentication expires the official client is closed
// with a Close that allows reconnecting, so with automatic reconnect it negotiates again with
// its fresh token and carries on under a new connection (azure-signalr
// specs/CloseOnAuthenticationExpire.md). The emulator's clock jumps past the expiry.
func TestJSClientClosedOnAuthenticationExpiry(t *testing.T) {
	t.Parallel()
	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		e := newJSEnv(t, nil) // one per combination: each moves its own clock
		ctx := ctxFor(t)
		hubName := hubName("authexpiry", combo)
		now := time.Now()
		first := tokenClaims(hubName, "expiring", now)
		first["asrs.s.coae"] = "true"
		first["asrs.s.aeo"] = strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
		c := e.start(t, combo, hubName, "expiring", jsclient.Config{
			AccessToken:        signToken(t, first, signalrtest.DefaultAccessKey),
			AutomaticReconnect: true,
			ReconnectDelays:    []time.Duration{0, 200 * time.Millisecond, time.Second},
		})
		oldID := c.ConnectionID()

		renewed := tokenClaims(hubName, "expiring", now)
		renewed["exp"] = now.Add(3 * time.Hour).Unix()
		renewed["asrs.s.coae"] = "true"
		renewed["asrs.s.aeo"] = strconv.FormatInt(now.Add(2*time.Hour).Unix(), 10)
		require.NoError(t, c.SetAccessToken(ctx, signToken(t, renewed, signalrtest.DefaultAccessKey)))
		e.clock.Advance(11 * time.Minute)

		ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventReconnecting))
		require.NoError(t, err)
		assert.Contains(t, ev.Error, "authentication expired")
		ev, err = c.WaitFor(ctx, jsclient.IsKind(jsclient.EventReconnected))
		require.NoError(t, err)
		assert.NotEqual(t, oldID, ev.ConnectionID, "a new connection under the renewed token")
		e.up.wait(t, "disconnected event of the expired connection", event(oldID, "connections", "disconnected"))
		conns := e.srv.Connections(hubName)
		require.Len(t, conns, 1)
		assert.Equal(t, ev.ConnectionID, conns[0].ID)
		assert.Equal(t, "expiring", conns[0].UserID)
	})
}

// Without automatic reconnect the official client simply closes, reporting why.
func TestJSClientClosedOnAuthenticationExpiryWithoutReconnect(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	combo := jsclient.Combinations()[0]
	ctx := ctxFor(t)
	hubName := hubName("authexpiryclose", combo)
	now := time.Now()
	claims := tokenClaims(hubName, "expiring", now)
	claims["asrs.s.coae"] = "true"
	claims["asrs.s.aeo"] = strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10)
	c := e.start(t, combo, hubName, "expiring", jsclient.Config{AccessToken: signToken(t, claims, signalrtest.DefaultAccessKey)})
	e.clock.Advance(11 * time.Minute)
	ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
	require.NoError(t, err)
	assert.Contains(t, ev.Error, "Server returned an error on close: Connection closed: the client's authentication expired")
	assert.Eventually(t, func() bool { return len(e.srv.Connections(hubName)) == 0 }, 5*time.Second, 10*time.Millisecond)
}
