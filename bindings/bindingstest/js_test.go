package bindingstest_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// TestOfficialClientEndToEnd runs the whole local stack with the official JavaScript client:
// negotiate through the fake host (signalRConnectionInfo minted for the App Service user),
// connect to the emulator, invoke() and send() a hub method that reaches the App through the
// emulator's upstream and the host's webhook, and receive messages sent by signalR outputs.
func TestOfficialClientEndToEnd(t *testing.T) {
	jsclient.Require(t)
	for _, protocol := range []jsclient.Protocol{jsclient.JSON, jsclient.MessagePack} {
		t.Run(string(protocol), func(t *testing.T) {
			f := newFixture(t, chatApp(t), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			c := jsclient.Start(t, jsclient.Config{
				URL:       f.host.URL + "/api",
				Transport: jsclient.WebSockets,
				Protocol:  protocol,
				Headers:   map[string]string{"x-ms-client-principal-id": "alice"},
				Targets:   []string{"newMessage"},
			})

			result, err := c.Invoke(ctx, "broadcast", "hello")
			require.NoError(t, err)
			assert.JSONEq(t, `{"echo":"hello","n":3}`, string(result))
			ev, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
			require.NoError(t, err)
			var user, text string
			require.NoError(t, ev.Arg(0, &user))
			require.NoError(t, ev.Arg(1, &text))
			assert.Equal(t, "alice", user, "the user id from negotiate reached the trigger")
			assert.Equal(t, "hello", text)

			_, err = c.Invoke(ctx, "broadcast", "fail")
			require.Error(t, err, "a failed function reaches invoke() as an error")

			require.NoError(t, c.Send(ctx, "broadcast", "sent"))
			ev, err = c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
			require.NoError(t, err)
			require.NoError(t, ev.Arg(1, &text))
			assert.Equal(t, "sent", text)

			resp, body := do(t, http.MethodPost, f.host.URL+"/api/messages", http.Header{"Content-Type": {"application/json"}}, `{"text":"from http"}`)
			require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
			ev, err = c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
			require.NoError(t, err)
			require.NoError(t, ev.Arg(0, &text))
			assert.Equal(t, "from http", text)

			var connected bool
			for _, inv := range f.host.Invocations() {
				connected = connected || (inv.Function == "connected" && inv.Err == "")
			}
			assert.True(t, connected, "the connected trigger ran")
		})
	}
}

// With Options.Emulator the host uses the emulator and wires its upstream to the webhook, so
// the triggers fire with nothing else set up.
func TestOptionsEmulatorWiresTheUpstream(t *testing.T) {
	jsclient.Require(t)
	emu := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(emu.Close)
	host, err := bindingstest.NewHost(chatApp(t), &bindingstest.Options{Emulator: emu, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := jsclient.Start(t, jsclient.Config{URL: host.URL + "/api", Headers: map[string]string{"x-ms-client-principal-id": "bob"}})
	result, err := c.Invoke(ctx, "broadcast", "hello")
	require.NoError(t, err)
	assert.JSONEq(t, `{"echo":"hello","n":3}`, string(result))
	assert.NotEmpty(t, emu.UpstreamCalls(), "the emulator called the webhook")
	assert.NotContains(t, fmt.Sprintf("%v", bindingstest.Options{Emulator: emu}), "AccessKey")
}
