package trigger_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// events records what the router's handlers saw, for the test to wait on.
type events struct {
	mu   sync.Mutex
	seen []string
	ch   chan struct{}
}

func (e *events) add(s string) {
	e.mu.Lock()
	e.seen = append(e.seen, s)
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default:
	}
}

func (e *events) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		e.mu.Lock()
		for _, s := range e.seen {
			if s == want {
				e.mu.Unlock()
				return
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-deadline:
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("handler event %q never came; saw %q", want, e.seen)
		}
	}
}

// The official JS client calls send() and invoke() through the emulator's
// upstream into a Router, over every transport and protocol it supports: the
// Router's answers are what the real client receives.
func TestJSClientThroughEmulator(t *testing.T) {
	jsclient.Require(t)
	const secondary = "SecondaryKey-for-trigger-e2e-0123456789abcd"

	var client *signalr.Client
	ev := &events{ch: make(chan struct{}, 1)}
	router, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{AccessKeys: []string{signalrtest.DefaultAccessKey, secondary}}})
	require.NoError(t, err)
	require.NoError(t, router.OnConnected("chat", func(ctx context.Context, inv *trigger.Invocation) error {
		// The service passes claims with ASP.NET's long claim types.
		ev.add("connected " + inv.ConnectionID + " " + inv.UserID + " " + inv.Claims["http://schemas.microsoft.com/ws/2008/06/identity/claims/role"])
		return nil
	}))
	require.NoError(t, router.OnDisconnected("chat", func(ctx context.Context, inv *trigger.Invocation) error {
		ev.add("disconnected " + inv.ConnectionID)
		return nil
	}))
	require.NoError(t, router.OnMessage("chat", "echo", func(ctx context.Context, inv *trigger.Invocation, text string) (string, error) {
		return "echo: " + text + " from " + inv.UserID, nil
	}))
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	require.NoError(t, router.OnMessage("chat", "Move", func(ctx context.Context, inv *trigger.Invocation, p point, by int) (point, error) {
		return point{p.X + by, p.Y + by}, nil
	}))
	require.NoError(t, router.OnMessage("chat", "fail", func(ctx context.Context, inv *trigger.Invocation) error {
		return errors.New("the hub method failed on purpose")
	}))
	require.NoError(t, router.OnMessage("chat", "broadcast", func(ctx context.Context, inv *trigger.Invocation, text string) error {
		ev.add("broadcast " + inv.ConnectionID + " " + text + " " + inv.Protocol)
		// A send() has no return path: answer through the REST API.
		return inv.Reply(ctx, client, "newMessage", "got "+text)
	}))
	app := httptest.NewServer(router)
	t.Cleanup(app.Close)

	srv := signalrtest.NewServer(&signalrtest.Options{
		SecondaryAccessKey: secondary,
		Upstream:           []signalrtest.UpstreamTemplate{{UrlTemplate: app.URL + "/runtime/webhooks/signalr"}},
	})
	t.Cleanup(srv.Close)
	client, err = signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	require.NoError(t, err)
	neg, err := negotiate.New(client, nil)
	require.NoError(t, err)

	for _, combo := range jsclient.Combinations() {
		t.Run(combo.Name(), func(t *testing.T) {
			ctx := t.Context()
			info, err := neg.Negotiate(ctx, "chat", &negotiate.Options{UserID: "alice", Roles: []string{"admin"}})
			require.NoError(t, err)
			c := jsclient.Start(t, jsclient.Config{
				URL: info.URL, AccessToken: info.AccessToken,
				Transport: combo.Transport, Protocol: combo.Protocol,
				Targets: []string{"newMessage"},
			})
			id := c.ConnectionID()
			ev.waitFor(t, "connected "+id+" alice admin")

			res, err := c.Invoke(ctx, "echo", "hi")
			require.NoError(t, err)
			assert.JSONEq(t, `"echo: hi from alice"`, string(res))

			res, err = c.Invoke(ctx, "move", map[string]int{"x": 1, "y": 2}, 10)
			require.NoError(t, err)
			assert.JSONEq(t, `{"x":11,"y":12}`, string(res))

			_, err = c.Invoke(ctx, "fail")
			var jsErr *jsclient.JSError
			require.ErrorAs(t, err, &jsErr)
			assert.Equal(t, "the hub method failed on purpose", jsErr.Message)

			_, err = c.Invoke(ctx, "echo", 42)
			require.ErrorAs(t, err, &jsErr)
			assert.True(t, strings.HasPrefix(jsErr.Message, "trigger: argument 0: cannot decode into *string"), jsErr.Message)

			require.NoError(t, c.Send(ctx, "broadcast", "yo"))
			got, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
			require.NoError(t, err)
			var text string
			require.NoError(t, got.Arg(0, &text))
			assert.Equal(t, "got yo", text)
			ev.waitFor(t, "broadcast "+id+" yo "+string(combo.Protocol))

			require.NoError(t, c.Stop(ctx))
			ev.waitFor(t, "disconnected "+id)
		})
	}

	// Every upstream request the emulator made, signed with both keys, was
	// accepted.
	calls := srv.UpstreamCalls()
	require.NotEmpty(t, calls)
	for _, call := range calls {
		assert.Equal(t, 200, call.Status, "%s %s/%s: %s", call.Hub, call.Category, call.Event, call.Err)
		assert.Len(t, strings.Split(call.Header.Get(trigger.HeaderSignature), ","), 2)
	}
}

// Claims travel from negotiate through the service's X-ASRS-User-Claims header to the Router
// with the official JS client connected: a value with a comma arrives whole, and a value that
// would add a claim to that header ("…, role: admin") is refused when the token is minted, so
// no handler ever sees a forged role.
func TestClaimsThroughEmulator(t *testing.T) {
	jsclient.Require(t)
	const roleType = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	claims := make(chan map[string]string, 1)
	router, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{AccessKeys: []string{signalrtest.DefaultAccessKey}}})
	require.NoError(t, err)
	require.NoError(t, router.OnConnected("chat", func(ctx context.Context, inv *trigger.Invocation) error {
		claims <- inv.Claims
		return nil
	}))
	app := httptest.NewServer(router)
	t.Cleanup(app.Close)
	srv := signalrtest.NewServer(&signalrtest.Options{
		Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: app.URL + "/runtime/webhooks/signalr"}},
	})
	t.Cleanup(srv.Close)
	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	require.NoError(t, err)
	neg, err := negotiate.New(client, nil)
	require.NoError(t, err)
	ctx := t.Context()

	_, err = neg.Negotiate(ctx, "chat", &negotiate.Options{UserID: "bob", Roles: []string{"user"},
		Claims: []negotiate.Claim{{Type: "display", Value: "Bob, " + roleType + ": admin"}}})
	require.Error(t, err, "a claim value that would forge a role is refused")
	assert.Contains(t, err.Error(), `": " after a ','`)

	info, err := neg.Negotiate(ctx, "chat", &negotiate.Options{UserID: "bob", Roles: []string{"user"},
		Claims: []negotiate.Claim{{Type: "display", Value: "Doe, John"}, {Type: "team", Value: "a,b"}}})
	require.NoError(t, err)
	c := jsclient.Start(t, jsclient.Config{URL: info.URL, AccessToken: info.AccessToken,
		Transport: jsclient.WebSockets, Protocol: jsclient.JSON})
	var got map[string]string
	select {
	case got = <-claims:
	case <-time.After(15 * time.Second):
		t.Fatal("the connected event never reached the Router")
	}
	assert.Equal(t, "Doe, John", got["display"])
	assert.Equal(t, "a,b", got["team"])
	assert.Equal(t, "user", got[roleType])
	require.NoError(t, c.Stop(ctx))
}
