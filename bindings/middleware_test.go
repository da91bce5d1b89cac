package bindings_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// App.Use chains middleware as trigger.Router.Use does: outermost first, around every
// function, able to stop an invocation with an error.
func TestUseMiddleware(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		trace = append(trace, s)
	}
	tracer := func(name string) func(bindings.HandlerFunc) bindings.HandlerFunc {
		return func(next bindings.HandlerFunc) bindings.HandlerFunc {
			return func(ctx context.Context, inv *bindings.Invocation) error {
				record(name + ">" + inv.Function)
				err := next(ctx, inv)
				record(name + "<")
				return err
			}
		}
	}
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.HTTP("hello", nil, func(_ context.Context, inv *bindings.Invocation) error {
		record("handler")
		return inv.Respond(http.StatusOK, nil, "hi")
	}))
	require.NoError(t, app.SignalRMessage("send", "chat", "send", nil, func(_ context.Context, inv *bindings.Invocation, text string) error {
		record("message " + text)
		return nil
	}))
	app.Use(tracer("a"), nil, tracer("b"))

	httpPayload := `{"Data":{"req":{"Method":"GET","Url":"http://localhost/api/hello"}},"Metadata":{}}`
	w := invoke(t, app, "hello", []byte(httpPayload))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []string{"a>hello", "b>hello", "handler", "b<", "a<"}, trace)

	trace = nil
	w = invoke(t, app, "send", []byte(`{"Data":{"invocation":{"Arguments":["x"],"Category":"messages","Event":"send","Hub":"chat","ConnectionId":"c"}},"Metadata":{}}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []string{"a>send", "b>send", "message x", "b<", "a<"}, trace, "typed SignalR handlers too")

	// Middleware added later applies from the next invocation on; one that returns an error
	// without calling next fails the invocation and the handler never runs.
	app.Use(func(next bindings.HandlerFunc) bindings.HandlerFunc {
		return func(ctx context.Context, inv *bindings.Invocation) error {
			req, err := inv.HTTPRequest()
			if err == nil && req.Header("Authorization") == "" {
				return errors.New("unauthorized: no Authorization header")
			}
			return next(ctx, inv)
		}
	})
	trace = nil
	w = invoke(t, app, "hello", []byte(httpPayload))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "unauthorized: no Authorization header")
	assert.Equal(t, []string{"a>hello", "b>hello", "b<", "a<"}, trace)

	w = invoke(t, app, "hello", []byte(`{"Data":{"req":{"Method":"GET","Url":"http://localhost/api/hello","Headers":{"Authorization":["Bearer x"]}}},"Metadata":{}}`))
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())

	// A panicking middleware fails its invocation only.
	panicky := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, panicky.HTTP("hello", nil, noop))
	panicky.Use(func(bindings.HandlerFunc) bindings.HandlerFunc {
		return func(context.Context, *bindings.Invocation) error { panic("middleware bug") }
	})
	w = invoke(t, panicky, "hello", []byte(httpPayload))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "panicked: middleware bug")
}

// A middleware failing a SignalR invocation answers the client as a failing handler does on
// trigger.Router: the error text for invoke(), nothing for send().
func TestUseFailsLikeRouterMiddleware(t *testing.T) {
	deny := func(next bindings.HandlerFunc) bindings.HandlerFunc {
		return func(ctx context.Context, inv *bindings.Invocation) error { return errors.New("denied") }
	}
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.SignalRMessage("echo", "chat", "echo", nil, func(_ context.Context, _ *bindings.Invocation, s string) (string, error) { return s, nil }))
	app.Use(deny)
	router, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{InsecureSkipSignature: true}})
	require.NoError(t, err)
	require.NoError(t, router.OnMessage("chat", "echo", func(_ context.Context, _ *trigger.Invocation, s string) (string, error) { return s, nil }))
	router.Use(func(next trigger.Handler) trigger.Handler {
		return func(ctx context.Context, inv *trigger.Invocation) (any, error) { return nil, errors.New("denied") }
	})

	ic := trigger.InvocationContext{Arguments: []json.RawMessage{json.RawMessage(`"x"`)}, Category: trigger.CategoryMessages, Event: "echo", Hub: "chat", ConnectionID: "c"}
	_, routerErr := router.Dispatch(t.Context(), &trigger.Invocation{InvocationContext: ic})
	require.Error(t, routerErr)
	payload, err := json.Marshal(map[string]any{"Data": map[string]any{"invocation": ic}, "Metadata": map[string]any{}})
	require.NoError(t, err)
	w := invoke(t, app, "echo", payload)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "failed: "+routerErr.Error())
}

// Input, Output and Metadata reach bindings by name, for functions with several of one type.
func TestInvocationBindingsByName(t *testing.T) {
	var got struct {
		east, west negotiate.ConnectionInfo
		one        error
		tag        string
		sys        struct{ MethodName string }
		errs       []string
	}
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.HTTP("fanout", nil, func(_ context.Context, inv *bindings.Invocation) error {
		_, got.one = inv.ConnectionInfo()
		if err := errors.Join(inv.Input("east", &got.east), inv.Input("west", &got.west),
			inv.Metadata("tag", &got.tag), inv.Metadata("sys", &got.sys)); err != nil {
			return err
		}
		for _, err := range []error{
			inv.Send(signalr.Message{Target: "t"}),
			inv.Output("res", "x"),
			inv.Output("nope", "x"),
			inv.Output("east", "x"),
			inv.Output("a", "not an action"),
			inv.Output("a", signalr.GroupAction{Action: signalr.GroupActionRemoveAll, ConnectionID: "c"}),
		} {
			got.errs = append(got.errs, err.Error())
		}
		return errors.Join(
			inv.Output("a", signalr.Message{Target: "toA"}),
			inv.Output("b", []signalr.Action{signalr.Message{Target: "toB"}, &signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g", UserID: "u"}}),
			inv.Output("q", map[string]int{"n": 1}),
			inv.Respond(http.StatusAccepted, nil, nil))
	},
		bindings.SignalRConnectionInfo("east", "chat", &bindings.ConnectionInfoOptions{SignalROptions: bindings.SignalROptions{ConnectionStringSetting: "East"}}),
		bindings.SignalRConnectionInfo("west", "chat", &bindings.ConnectionInfoOptions{SignalROptions: bindings.SignalROptions{ConnectionStringSetting: "West"}}),
		bindings.SignalROutput("a", "chat", nil),
		bindings.SignalROutput("b", "chat", nil),
		bindings.GenericBinding("queue", bindings.DirectionOut, "q", map[string]any{"queueName": "jobs"})))

	info := func(host string) string {
		b, _ := json.Marshal(`{"url":"https://` + host + `/client/?hub=chat","accessToken":"t"}`)
		return string(b)
	}
	w := invoke(t, app, "fanout", []byte(`{"Data":{"req":{"Method":"POST","Url":"http://localhost/api/fanout"},"east":`+info("east")+`,"west":`+info("west")+`},
		"Metadata":{"tag":"\"blue\"","sys":{"MethodName":"fanout"}}}`))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"Outputs":{
		"a":[{"target":"toA","arguments":[]}],
		"b":[{"target":"toB","arguments":[]},{"action":"add","groupName":"g","userId":"u"}],
		"q":{"n":1},
		"res":{"statusCode":202,"headers":{},"body":""}},"Logs":[],"ReturnValue":null}`, w.Body.String())
	assert.Equal(t, "https://east/client/?hub=chat", got.east.URL)
	assert.Equal(t, "https://west/client/?hub=chat", got.west.URL)
	require.Error(t, got.one)
	assert.Contains(t, got.one.Error(), "has 2 signalRConnectionInfo bindings; use Invocation.Input with a binding name")
	assert.Equal(t, "blue", got.tag)
	assert.Equal(t, "fanout", got.sys.MethodName)
	want := []string{
		"has 2 signalR bindings; use Invocation.Output with a binding name",
		`output "res" is an http output; set it with Invocation.Respond`,
		`has no output binding "nope"`,
		`has no output binding "east"`,
		`signalR output "a" takes a signalr.Action or []signalr.Action, not string`,
		"removeAll group action with a connectionId is silently skipped",
	}
	require.Len(t, got.errs, len(want))
	for i, w := range want {
		assert.True(t, strings.Contains(got.errs[i], w), "error %d: %q lacks %q", i, got.errs[i], w)
	}
}
