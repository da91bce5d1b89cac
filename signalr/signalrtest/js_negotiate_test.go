package signalrtest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// The whole serverless flow as an application runs it: the client negotiates with the app's
// /api/negotiate (negotiate.Handler, the SignalRConnectionInfo equivalent), follows the
// redirect to the emulator with the token the app minted, and is then reachable by user id.
func TestJSClientNegotiateRedirect(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	const hubName = "redirected"
	mux := http.NewServeMux()
	n, err := negotiate.New(e.client, nil)
	require.NoError(t, err)
	h, err := negotiate.Handler(n, hubName, &negotiate.HandlerOptions{
		RequireUser: true,
		UserID: func(r *http.Request) (string, error) {
			if u := r.Header.Get("X-Test-User"); u != "" {
				return u, nil
			}
			return "", errors.New("sign in first")
		},
	})
	require.NoError(t, err)
	mux.Handle("/api/negotiate", h)
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)

	forEachCombination(t, func(t *testing.T, combo jsclient.Combination) {
		ctx := ctxFor(t)
		user := "alice-" + string(combo.Transport) + "-" + string(combo.Protocol)
		c := jsclient.Start(t, jsclient.Config{
			URL:       app.URL + "/api",
			Transport: combo.Transport,
			Protocol:  combo.Protocol,
			Headers:   map[string]string{"X-Test-User": user},
			Targets:   []string{"direct"},
		})
		var info *signalrtest.ConnectionInfo
		for _, ci := range e.srv.Connections(hubName) {
			if ci.ID == c.ConnectionID() {
				info = &ci
			}
		}
		require.NotNil(t, info, "the client reached the emulator after the redirect")
		assert.Equal(t, user, info.UserID, "the user id of the app's token")
		assert.Equal(t, string(combo.Protocol), info.Protocol)
		assert.Equal(t, string(combo.Transport), info.Transport)

		_, err := hubOf(t, e.client, hubName).SendToUser(ctx, user, signalr.Message{Target: "direct", Arguments: []any{"hi " + user}}, nil)
		require.NoError(t, err)
		ev, err := c.WaitFor(ctx, jsclient.IsMessage("direct"))
		require.NoError(t, err)
		assert.JSONEq(t, `"hi `+user+`"`, string(ev.Args[0]))

		got, err := c.Invoke(ctx, "echo", "through the upstream")
		require.NoError(t, err)
		assert.JSONEq(t, `"through the upstream"`, string(got))
		call := e.up.wait(t, "invoke", event(c.ConnectionID(), "messages", "echo"))
		assert.Equal(t, user, call.UserID)
	})

	// The app refuses an anonymous client; the client reports the app's status.
	_, err = jsclient.Connect(t, jsclient.Config{URL: app.URL + "/api"})
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr)
	assert.Contains(t, jsErr.Message, "401")
}
