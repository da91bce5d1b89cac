package signalrtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// streaming reports whether the transport has a server timeout at all: long polling is
// inherently kept alive by its polls, so neither side pings.
func streaming(combo jsclient.Combination) bool { return combo.Transport != jsclient.LongPolling }

// The emulator's pings keep an idle client within its server timeout: a client that gives up
// after 1.5 s of silence stays connected well past that while nothing but pings flows. (The
// margin is wide so a loaded machine stalling node for a moment cannot fail it.)
func TestJSClientKeptAliveByServerPings(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, &signalrtest.Options{KeepAliveInterval: 100 * time.Millisecond})
	// Long polling has no server timeout to satisfy, so it is not among the combinations.
	forEachCombinationWhere(t, streaming, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		c := e.start(t, combo, hubName("pinged", combo), "", jsclient.Config{
			ServerTimeout:     1500 * time.Millisecond,
			KeepAliveInterval: 500 * time.Millisecond,
		})
		time.Sleep(3200 * time.Millisecond) // more than twice the client's server timeout
		state, id, err := c.State(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Connected", state)
		assert.Equal(t, c.ConnectionID(), id)
		assert.Empty(t, c.Pending(), "no close while the server pings")
	})
}

// A client that goes quiet for longer than the emulator's client timeout is dropped, the client
// learns of it, and the upstream hears of the disconnection.
func TestJSClientDroppedAfterClientTimeout(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, &signalrtest.Options{ClientTimeout: 600 * time.Millisecond})
	// A long-polling client is heard on every poll, so it is not among the combinations.
	forEachCombinationWhere(t, streaming, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		c := e.start(t, combo, hubName("quiet", combo), "", jsclient.Config{
			KeepAliveInterval: 20 * time.Second, // the client will not ping in time
			ServerTimeout:     40 * time.Second,
		})
		ev, err := c.WaitFor(ctx, jsclient.IsKind(jsclient.EventClose))
		require.NoError(t, err)
		// Like ASP.NET the emulator aborts a timed-out connection without a Close message: a
		// WebSocket client sees an unclean close, while an ended event stream carries no error.
		if combo.Transport == jsclient.WebSockets {
			assert.Contains(t, ev.Error, "1006")
		}
		e.up.wait(t, "disconnected event", event(c.ConnectionID(), "connections", "disconnected"))
	})
}
