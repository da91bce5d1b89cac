package bindings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func noop(context.Context, *bindings.Invocation) error { return nil }

// chatApp declares the functions of the golden files in testdata/functions.
func chatApp(t testing.TB, opts *bindings.AppOptions) *bindings.App {
	t.Helper()
	if opts == nil {
		opts = &bindings.AppOptions{ExecutablePath: "chat"}
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	app := bindings.NewApp(opts)
	require.NoError(t, app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
		HTTPOptions:           bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		ConnectionInfoOptions: bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"},
	}))
	require.NoError(t, app.HTTP("messages", &bindings.HTTPOptions{Methods: []string{"POST"}, AuthLevel: bindings.AuthLevelAnonymous},
		func(ctx context.Context, inv *bindings.Invocation) error {
			req, err := inv.HTTPRequest()
			if err != nil {
				return err
			}
			var m struct {
				Text string `json:"text"`
			}
			if err := req.JSON(&m); err != nil {
				return inv.Respond(http.StatusBadRequest, nil, map[string]string{"error": err.Error()})
			}
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{m.Text}}); err != nil {
				return err
			}
			inv.Log("sent %q", m.Text)
			return inv.Respond(http.StatusAccepted, nil, nil)
		},
		bindings.SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.SignalRTrigger("broadcast", "chat", trigger.CategoryMessages, "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message"}}, noop,
		bindings.SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.SignalRTrigger("connected", "chat", trigger.CategoryConnections, trigger.EventConnected,
		&bindings.SignalRTriggerOptions{SignalROptions: bindings.SignalROptions{ConnectionStringSetting: "ChatConnection"}}, noop))
	return app
}

func TestFunctionJSONGolden(t *testing.T) {
	app := chatApp(t, nil)
	require.NoError(t, app.CheckFunctionJSON(filepath.Join("testdata", "functions")))

	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	for _, name := range []string{"host.json", "negotiate/function.json", "messages/function.json", "broadcast/function.json", "connected/function.json"} {
		want, err := os.ReadFile(filepath.Join("testdata", "functions", name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), name)
	}
}

func TestCheckFunctionJSONDrift(t *testing.T) {
	app := chatApp(t, nil)
	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "messages", "function.json"), []byte("{}\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "broadcast", "function.json")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "old"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "old", "function.json"), []byte("{}\n"), 0o644))

	err := app.CheckFunctionJSON(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "messages/function.json differs")
	assert.Contains(t, err.Error(), "broadcast/function.json is missing")
	assert.Contains(t, err.Error(), "old/function.json belongs to no declared function")
}

func TestHostJSONOptions(t *testing.T) {
	empty := ""
	app := bindings.NewApp(&bindings.AppOptions{
		ExecutablePath: "app", Arguments: []string{"--port", "%PORT%"}, WorkingDirectory: "bin",
		RoutePrefix: &empty, EnableForwardingHTTPRequest: true, EnableProxyingHTTPRequest: true,
	})
	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	hostJSON, err := os.ReadFile(filepath.Join(dir, "host.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"version":"2.0",
		"customHandler":{"description":{"defaultExecutablePath":"app","arguments":["--port","%PORT%"],"workingDirectory":"bin"},
			"enableForwardingHttpRequest":true,"enableProxyingHttpRequest":true},
		"extensionBundle":{"id":"Microsoft.Azure.Functions.ExtensionBundle","version":"[4.*, 5.0.0)"},
		"extensions":{"http":{"routePrefix":""}}}`, string(hostJSON))
}

func TestGenericBinding(t *testing.T) {
	app := bindings.NewApp(nil)
	require.NoError(t, app.Func("jobs", noop, bindings.HTTPTrigger("req", nil),
		bindings.GenericBinding("queue", bindings.DirectionOut, "jobs", map[string]any{"queueName": "work", "connection2": "X", "DataType": "binary"})))
	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	fj, err := os.ReadFile(filepath.Join(dir, "jobs", "function.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function"},
		{"type":"queue","direction":"out","name":"jobs","dataType":"binary","connection2":"X","queueName":"work"}]}`, string(fj),
		"known properties land in their place whatever their casing, the others after them in key order")

	tests := []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"own argument as a property", map[string]any{"Name": "other"}, `property "Name" is set by GenericBinding's own arguments`},
		{"known property of the wrong type", map[string]any{"route": 5}, `binding "b"`},
		{"value JSON cannot express", map[string]any{"x": make(chan int)}, `binding "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bindings.NewApp(nil).Func("f", noop, bindings.HTTPTrigger("req", nil), bindings.GenericBinding("queue", bindings.DirectionOut, "b", tt.props))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRegistrationValidation(t *testing.T) {
	httpIn := bindings.HTTPTrigger("req", nil)
	tests := []struct {
		name     string
		fn       string
		bindings []bindings.Binding
		wantErr  string
	}{
		{name: "bad function name", fn: "1abc", bindings: []bindings.Binding{httpIn}, wantErr: "function name \"1abc\" is invalid"},
		{name: "duplicate name", fn: "Negotiate", bindings: []bindings.Binding{bindings.HTTPTrigger("req", &bindings.HTTPOptions{Route: "other"})}, wantErr: `functions "negotiate" and "Negotiate" have the same name`},
		{name: "no trigger", fn: "f", bindings: []bindings.Binding{bindings.HTTPOutput("res")}, wantErr: "has 0 triggers"},
		{name: "two triggers", fn: "f", bindings: []bindings.Binding{httpIn, bindings.SignalRTrigger("t", "chat", "messages", "x", nil)}, wantErr: "has 2 triggers"},
		{name: "duplicate binding name", fn: "f", bindings: []bindings.Binding{httpIn, bindings.HTTPOutput("REQ")}, wantErr: `two bindings are named "REQ"`},
		{name: "bad binding name", fn: "f", bindings: []bindings.Binding{bindings.HTTPTrigger("a-b", nil)}, wantErr: "binding name \"a-b\" is invalid"},
		{name: "return as input", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("blob", bindings.DirectionIn, "$return", nil)}, wantErr: "must be an output"},
		{name: "no type", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("", bindings.DirectionIn, "x", nil)}, wantErr: "binding 1 has no type"},
		{name: "bad direction", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("blob", "sideways", "x", nil)}, wantErr: "direction \"sideways\""},
		{name: "trigger as output", fn: "f", bindings: []bindings.Binding{bindings.GenericBinding("queueTrigger", bindings.DirectionOut, "q", nil)}, wantErr: "must have direction in"},
		{name: "missing hub", fn: "f", bindings: []bindings.Binding{httpIn, bindings.SignalROutput("out", "", nil)}, wantErr: `signalR "out" has no hubName`},
		{name: "invalid hub", fn: "f", bindings: []bindings.Binding{httpIn, bindings.SignalROutput("out", "9chat", nil)}, wantErr: "hub name \"9chat\" is invalid"},
		{name: "http output without http trigger", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "x", nil), bindings.HTTPOutput("res")}, wantErr: "http output \"res\" needs an httpTrigger"},
		{name: "return on signalR trigger", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "x", nil), bindings.GenericBinding("queue", bindings.DirectionOut, "$return", nil)}, wantErr: "must not declare a $return binding"},
		{name: "request expression without http trigger", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "x", nil), bindings.SignalRConnectionInfo("ci", "chat", &bindings.ConnectionInfoOptions{UserID: "{headers.x-user}"})}, wantErr: "reads the request"},
		{name: "bad category", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "stuff", "x", nil)}, wantErr: "category \"stuff\""},
		{name: "bad connections event", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "connections", "broadcast", nil)}, wantErr: "expected connected or disconnected"},
		{name: "parameter names on connections", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "connections", "connected", &bindings.SignalRTriggerOptions{ParameterNames: []string{"a"}})}, wantErr: "only apply to the messages category"},
		{name: "no event", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "", nil)}, wantErr: "has no event"},
		{name: "duplicate parameter names", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "x", &bindings.SignalRTriggerOptions{ParameterNames: []string{"a", "A"}})}, wantErr: "names parameter \"A\" twice"},
		{name: "empty parameter name", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "chat", "messages", "x", &bindings.SignalRTriggerOptions{ParameterNames: []string{""}})}, wantErr: "empty parameter name"},
		{name: "same trigger twice", fn: "f", bindings: []bindings.Binding{bindings.SignalRTrigger("t", "CHAT", "messages", "Broadcast", nil)}, wantErr: "both trigger on hub"},
		{name: "route collision", fn: "f", bindings: []bindings.Binding{bindings.HTTPTrigger("req", &bindings.HTTPOptions{Route: "Messages", Methods: []string{"post", "get"}})}, wantErr: "both serve route"},
		{name: "bad method", fn: "f", bindings: []bindings.Binding{bindings.HTTPTrigger("req", &bindings.HTTPOptions{Methods: []string{"fetch"}})}, wantErr: "method \"fetch\""},
		{name: "bad auth level", fn: "f", bindings: []bindings.Binding{bindings.HTTPTrigger("req", &bindings.HTTPOptions{AuthLevel: "public"})}, wantErr: "authLevel \"public\""},
		{name: "bad route", fn: "f", bindings: []bindings.Binding{bindings.HTTPTrigger("req", &bindings.HTTPOptions{Route: "/abs"})}, wantErr: "starts with \"/\""},
		{name: "signalR as input", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("signalR", bindings.DirectionIn, "s", map[string]any{"hubName": "chat"})}, wantErr: "must be an output"},
		{name: "connection info as output", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("signalRConnectionInfo", bindings.DirectionOut, "s", map[string]any{"hubName": "chat"})}, wantErr: "must be an input"},
		{name: "http as input", fn: "f", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("http", bindings.DirectionIn, "x", nil)}, wantErr: "must be an output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := chatApp(t, nil)
			before := len(app.FunctionNames())
			require.ErrorContains(t, app.Func(tt.fn, noop, tt.bindings...), tt.wantErr)
			assert.Len(t, app.FunctionNames(), before, "a rejected function is not registered")
		})
	}
	app := chatApp(t, nil)
	require.ErrorContains(t, app.Func("f", nil, httpIn), "nil handler")
	require.NoError(t, app.Func("f", noop, bindings.HTTPTrigger("req", &bindings.HTTPOptions{Route: "messages", Methods: []string{"get"}})), "same route, other method")
	require.NoError(t, app.Func("g", noop, httpIn, bindings.SignalROutput("out", "{query.hub}", nil)), "hub binding expressions are not checked as names")
}

// invoke posts a payload file to the App as the host would.
func invoke(t *testing.T, h http.Handler, function string, payload []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/"+function, bytes.NewReader(payload))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	r.Header.Set("X-Azure-Functions-InvocationId", "b5b6f1a0-0000-4000-8000-000000000001")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestServeInvocation(t *testing.T) {
	app := chatApp(t, nil)
	w := invoke(t, app, "messages", readTestdata(t, "http_trigger.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{
		"Outputs":{
			"res":{"statusCode":202,"headers":{},"body":""},
			"signalRMessages":[{"target":"newMessage","arguments":["hello"]}]
		},
		"Logs":["sent \"hello\""],
		"ReturnValue":null}`, w.Body.String())
}

func TestServeNegotiate(t *testing.T) {
	app := chatApp(t, nil)
	w := invoke(t, app, "negotiate", readTestdata(t, "negotiate.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp struct{ Outputs map[string]any }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	res := resp.Outputs["res"].(map[string]any)
	assert.Equal(t, float64(200), res["statusCode"])
	assert.Equal(t, map[string]any{"Content-Type": "application/json"}, res["headers"])
	assert.JSONEq(t, `{"url":"https://x.service.signalr.net/client/?hub=chat","accessToken":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL3guc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.c2lnbmF0dXJl"}`, res["body"].(string))
}

func TestServeFailures(t *testing.T) {
	var logs bytes.Buffer
	app := bindings.NewApp(&bindings.AppOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, app.HTTP("boom", nil, func(context.Context, *bindings.Invocation) error { return errors.New("database unreachable") }))
	require.NoError(t, app.HTTP("panics", nil, func(context.Context, *bindings.Invocation) error { panic("nil map") }))
	require.NoError(t, app.HTTP("badsend", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		return inv.Send(signalr.Message{Target: "x"})
	}))
	require.NoError(t, app.Func("trap", func(ctx context.Context, inv *bindings.Invocation) error {
		inv.Return("test")
		return nil
	}, bindings.HTTPTrigger("req", nil), bindings.GenericBinding("queue", bindings.DirectionOut, "$return", map[string]any{"queueName": "q"})))
	// GetBindingValue runs on an HTTP $return too (azure-functions-host
	// src/WebJobs.Script/Workers/Http/HttpScriptInvocationResultExtensions.cs): "test" would reach
	// the caller as the bytes b5 eb 2d (spec §8.3).
	require.NoError(t, app.Func("httptrap", func(ctx context.Context, inv *bindings.Invocation) error {
		inv.Return("test")
		return nil
	}, bindings.HTTPTrigger("req", nil), bindings.HTTPOutput("$return")))

	tests := []struct {
		name, function, body, wantLog string
	}{
		{name: "handler error", function: "boom", body: `{"Data":{},"Metadata":{}}`, wantLog: "database unreachable"},
		{name: "panic", function: "panics", body: `{"Data":{},"Metadata":{}}`, wantLog: "panicked: nil map"},
		{name: "not a payload", function: "boom", body: `<html>`, wantLog: "not an invocation payload"},
		{name: "no signalR output", function: "badsend", body: `{}`, wantLog: "has no signalR binding"},
		{name: "base64 trap on $return", function: "trap", body: `{}`, wantLog: "return value is a string that is valid base64"},
		{name: "base64 trap on an HTTP $return", function: "httptrap", body: `{}`, wantLog: "HTTP return value is a string that is valid base64, which the host decodes into bytes; send an object, or []byte for binary data; answer with Invocation.Respond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			w := invoke(t, app, tt.function, []byte(tt.body))
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Contains(t, logs.String(), tt.wantLog)
			assert.Contains(t, w.Body.String(), tt.wantLog)
		})
	}
}

func TestServeRouting(t *testing.T) {
	app := chatApp(t, nil)
	tests := []struct {
		name, method, path string
		want               int
	}{
		{name: "readiness", method: http.MethodGet, path: "/", want: http.StatusOK},
		{name: "readiness head", method: http.MethodHead, path: "/", want: http.StatusOK},
		{name: "unknown function", method: http.MethodPost, path: "/nope", want: http.StatusNotFound},
		{name: "GET on a function", method: http.MethodGet, path: "/messages", want: http.StatusMethodNotAllowed},
		{name: "raw request without forwarding", method: http.MethodGet, path: "/api/messages", want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			app.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			assert.Equal(t, tt.want, w.Code)
		})
	}
}

func TestForwardedRequests(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{EnableForwardingHTTPRequest: true, Logger: quiet})
	require.NoError(t, app.HTTP("item", &bindings.HTTPOptions{Route: "items/{id:int}", Methods: []string{"get", "put"}},
		func(ctx context.Context, inv *bindings.Invocation) error {
			req, err := inv.HTTPRequest()
			if err != nil {
				return err
			}
			inv.Log("item %s", req.Params["id"])
			return inv.Respond(http.StatusOK, http.Header{"X-Id": {req.Params["id"]}}, map[string]any{
				"id": req.Params["id"], "q": req.Query["q"], "method": req.Method, "body": string(req.Body), "agent": req.Header("user-agent"),
			})
		}))
	require.NoError(t, app.HTTP("fails", &bindings.HTTPOptions{Route: "fails"}, func(context.Context, *bindings.Invocation) error { return errors.New("no") }))
	require.NoError(t, app.HTTP("silent", &bindings.HTTPOptions{Route: "silent"}, noop))
	// Not HTTP-in-and-out: still invoked with a payload at /{name}.
	require.NoError(t, app.HTTP("send", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		return inv.Respond(http.StatusOK, nil, "payload mode")
	}, bindings.SignalROutput("out", "chat", nil)))

	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/Items/5?q=a&q=b", strings.NewReader("data"))
	req.Header.Set("User-Agent", "tester")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "5", resp.Header.Get("X-Id"))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"id":"5","q":"a,b","method":"PUT","body":"data","agent":"tester"}`, string(body))

	for path, want := range map[string]int{
		"/api/items/x": http.StatusNotFound, "/api/fails": http.StatusInternalServerError,
		"/api/silent": http.StatusOK, "/other/items/5": http.StatusNotFound,
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
	// POST /item would be a payload invocation, which the host never sends to a forwarded function.
	resp, err = srv.Client().Post(srv.URL+"/item", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	w := invoke(t, app, "send", []byte(`{"Data":{},"Metadata":{}}`))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "payload mode")
}

func TestListenAndServeNeedsPort(t *testing.T) {
	t.Setenv(bindings.PortEnv, "")
	t.Setenv(bindings.LegacyPortEnv, "")
	err := bindings.NewApp(nil).ListenAndServe()
	require.ErrorContains(t, err, "FUNCTIONS_CUSTOMHANDLER_PORT is not set")
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	app := chatApp(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}

func TestServeSignalRTrigger(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.SignalRTrigger("broadcast", "chat", trigger.CategoryMessages, "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message", "options"}},
		func(ctx context.Context, inv *bindings.Invocation) error {
			c, err := inv.InvocationContext()
			if err != nil {
				return err
			}
			var text string
			if err := inv.Bind(&text, nil); err != nil {
				return err
			}
			if err := inv.Bind(&text); err == nil {
				return errors.New("Bind with the wrong argument count succeeded")
			}
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{c.UserID, text}}); err != nil {
				return err
			}
			inv.Return(map[string]string{"echo": text})
			return nil
		}, bindings.SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.HTTP("plain", nil, func(ctx context.Context, inv *bindings.Invocation) error {
		return inv.Bind()
	}))

	w := invoke(t, app, "broadcast", readTestdata(t, "signalr_trigger.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"Outputs":{"signalRMessages":[{"target":"newMessage","arguments":["alice","hello"]}]},"Logs":[],"ReturnValue":{"echo":"hello"}}`, w.Body.String())

	w = invoke(t, app, "plain", readTestdata(t, "http_trigger.json"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "is not triggered by SignalR")
}

func TestRunCommands(t *testing.T) {
	app := chatApp(t, nil)
	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	require.NoError(t, app.Run([]string{"functionjson", "-check", dir}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte("{}"), 0o644))
	require.ErrorContains(t, app.Run([]string{"functionjson", "-check", dir}), "host.json differs")
	require.ErrorContains(t, app.Run([]string{"functionjson"}), "needs one directory")
	require.ErrorContains(t, app.Run([]string{"functionjson", "-nope", dir}), "usage")
	require.ErrorContains(t, app.Run([]string{"serve"}), `unknown command "serve"`)
	t.Setenv(bindings.PortEnv, "")
	t.Setenv(bindings.LegacyPortEnv, "")
	require.ErrorContains(t, app.Run(nil), "is not set")
}

func TestListenAndServeLegacyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	t.Setenv(bindings.PortEnv, "")
	t.Setenv(bindings.LegacyPortEnv, port)
	app := chatApp(t, nil)
	done := make(chan error, 1)
	go func() { done <- app.ListenAndServe() }()
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	// SIGINT to ourselves ends it gracefully, as the host's shutdown does.
	p, err := os.FindProcess(os.Getpid())
	require.NoError(t, err)
	require.NoError(t, p.Signal(os.Interrupt))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after SIGINT")
	}
}

func TestSignalRMessageTyped(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.SignalRMessage("broadcast", "chat", "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message", "options"}},
		func(ctx context.Context, inv *bindings.Invocation, text string, opts struct{ To string }) (string, error) {
			if text == "fail" {
				return "", errors.New("nope")
			}
			return text + " to " + opts.To, nil
		}))
	require.NoError(t, app.SignalRMessage("notify", "chat", "notify", nil,
		func(ctx context.Context, inv *bindings.Invocation, text string) error {
			inv.Log("got %s", text)
			return nil
		}))

	w := invoke(t, app, "broadcast", readTestdata(t, "signalr_trigger.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"Outputs":{},"Logs":[],"ReturnValue":"hello to bob"}`, w.Body.String())

	oneArg := `{"Data":{"invocation":{"Arguments":["fail",{}],"Category":"messages","Event":"broadcast","Hub":"chat","ConnectionId":"c"}},"Metadata":{}}`
	w = invoke(t, app, "broadcast", []byte(oneArg))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "nope")

	w = invoke(t, app, "notify", readTestdata(t, "signalr_trigger.json"))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "two arguments for a one-argument handler")
	assert.Contains(t, w.Body.String(), "argument")

	tests := []struct {
		name    string
		handler any
		opts    *bindings.SignalRTriggerOptions
		wantErr string
	}{
		{name: "nil", handler: nil, wantErr: "nil handler"},
		{name: "not a func", handler: 42, wantErr: "want func(context.Context, *bindings.Invocation, args...) error or (R, error), got int"},
		{name: "no context", handler: func(*bindings.Invocation) error { return nil }, wantErr: "got func(*bindings.Invocation) error"},
		{name: "variadic", handler: func(context.Context, *bindings.Invocation, ...string) error { return nil }, wantErr: "got func(context.Context, *bindings.Invocation, ...string) error"},
		{name: "no error", handler: func(context.Context, *bindings.Invocation) string { return "" }, wantErr: "or (R, error)"},
		{name: "channel argument", handler: func(context.Context, *bindings.Invocation, chan int) error { return nil }, wantErr: "argument 0 of type chan int cannot be decoded from JSON"},
		{name: "parameter count", handler: func(context.Context, *bindings.Invocation, string) error { return nil },
			opts: &bindings.SignalRTriggerOptions{ParameterNames: []string{"a", "b"}}, wantErr: "2 parameterNames for a handler taking 1 arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, bindings.NewApp(nil).SignalRMessage("f", "chat", "e", tt.opts, tt.handler), tt.wantErr)
		})
	}
}
