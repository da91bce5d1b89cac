package bindingstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"github.com/funcsignalr/funcsignalr/trigger"
	"github.com/golang-jwt/jwt/v5"
	"net"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// chatApp is a small chat backend: negotiate with the App Service user id, a POST that
// broadcasts, and a SignalR trigger that echoes through invoke() and a signalR output.
func chatApp(t *testing.T) *bindings.App {
	t.Helper()
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
		HTTPOptions:           bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		ConnectionInfoOptions: bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"},
	}))
	require.NoError(t, app.Negotiate("anonymous", "chat", &bindings.NegotiateOptions{
		HTTPOptions: bindings.HTTPOptions{Route: "anon/negotiate", AuthLevel: bindings.AuthLevelAnonymous},
	}))
	require.NoError(t, app.HTTP("messages", &bindings.HTTPOptions{Methods: []string{"post"}},
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
			inv.Log("broadcasting %q", m.Text)
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{m.Text}}); err != nil {
				return err
			}
			return inv.Respond(http.StatusAccepted, nil, map[string]string{"sent": m.Text})
		}, bindings.SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.SignalRTrigger("broadcast", "chat", trigger.CategoryMessages, "broadcast",
		&bindings.SignalRTriggerOptions{ParameterNames: []string{"message"}},
		func(ctx context.Context, inv *bindings.Invocation) error {
			c, err := inv.InvocationContext()
			if err != nil {
				return err
			}
			var text string
			if err := inv.Metadata("message", &text); err != nil {
				return err
			}
			if text == "fail" {
				return errors.New("refusing to broadcast")
			}
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{c.UserID, text}}); err != nil {
				return err
			}
			inv.Return(map[string]any{"echo": text, "n": 3})
			return nil
		}, bindings.SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.SignalRTrigger("connected", "chat", trigger.CategoryConnections, trigger.EventConnected, nil,
		func(ctx context.Context, inv *bindings.Invocation) error {
			c, err := inv.InvocationContext()
			if err != nil {
				return err
			}
			if c.UserID == "mallory" {
				return errors.New("not welcome")
			}
			return nil
		}))
	return app
}

type fixture struct {
	host *bindingstest.Host
	srv  *signalrtest.Server
}

// newFixture starts the fake host and the emulator, wired both ways.
func newFixture(t *testing.T, app http.Handler, opts *bindingstest.Options) *fixture {
	t.Helper()
	if opts == nil {
		opts = &bindingstest.Options{}
	}
	opts.Logger = quiet
	host, err := bindingstest.NewHost(app, opts)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	srv := signalrtest.NewServer(&signalrtest.Options{
		Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: host.URL + bindingstest.WebhookPath}},
		Logger:   quiet,
	})
	t.Cleanup(srv.Close)
	host.SetSetting(signalr.DefaultConnectionSetting, srv.ConnectionString())
	return &fixture{host: host, srv: srv}
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, method, url string, header http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body == "" {
		req.Body = nil
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func TestNegotiateThroughHost(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	resp, body := do(t, http.MethodPost, f.host.URL+"/api/negotiate?negotiateVersion=1", http.Header{"X-Ms-Client-Principal-Id": {"alice"}}, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), "StringOutputFormatter adds the charset")
	var info struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	require.NoError(t, json.Unmarshal(body, &info))
	assert.True(t, strings.HasPrefix(info.URL, f.srv.URL+"/client/?hub=chat"), info.URL)
	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(info.AccessToken, claims)
	require.NoError(t, err)
	assert.Equal(t, "alice", claims["asrs.s.uid"])

	// The handler received the connection info encoded three times.
	invs := f.host.Invocations()
	require.Len(t, invs, 1)
	var payload struct {
		Data map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(invs[0].Request, &payload))
	raw := payload.Data["connectionInfo"]
	var once, twice string
	require.NoError(t, json.Unmarshal(raw, &once))
	require.NoError(t, json.Unmarshal([]byte(once), &twice))
	assert.True(t, strings.HasPrefix(twice, "{\n  \"url\": \""), "the extension's indented JSON: %q", twice)
	assert.Contains(t, twice, "\",\n  \"accessToken\": \"")
	assert.True(t, strings.HasSuffix(twice, "\"\n}"))
}

func TestNegotiateMissingHeaderFailsLikeTheHost(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	resp, _ := do(t, http.MethodPost, f.host.URL+"/api/negotiate", nil, "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	invs := f.host.Invocations()
	require.Len(t, invs, 1)
	assert.Contains(t, invs[0].Err, "Error while accessing 'x-ms-client-principal-id': property doesn't exist.")
	assert.Nil(t, invs[0].Request, "the handler was never called")

	resp, body := do(t, http.MethodGet, f.host.URL+"/api/anon/negotiate", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestMissingConnectionStringFails(t *testing.T) {
	host, err := bindingstest.NewHost(chatApp(t), &bindingstest.Options{Logger: quiet, Settings: map[string]string{}})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	t.Setenv(signalr.DefaultConnectionSetting, "")
	resp, _ := do(t, http.MethodGet, host.URL+"/api/anon/negotiate", nil, "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Len(t, host.Invocations(), 1)
	assert.Contains(t, host.Invocations()[0].Err, `app setting "AzureSignalRConnectionString" is empty`)
}

func TestSendThroughHost(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	resp, body := do(t, http.MethodPost, f.host.URL+"/api/messages?room=1&code=secret", http.Header{"Content-Type": {"application/json"}}, `{"text":"hi","n":2,"meta":{"a":1},"list":[1]}`)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"sent":"hi"}`, string(body))
	assert.Equal(t, []string{"messages: broadcasting \"hi\""}, f.host.Logs())

	var sends []signalrtest.RESTCall
	for _, c := range f.srv.RESTCalls() {
		if c.Method == http.MethodPost && strings.Contains(c.Path, "/hubs/chat") {
			sends = append(sends, c)
		}
	}
	require.Len(t, sends, 1)
	assert.Contains(t, string(sends[0].Body), `"newMessage"`)

	// The payload, field by field as the host writes it.
	invs := f.host.Invocations()
	require.Len(t, invs, 1)
	inv := invs[0]
	assert.Len(t, inv.ID, 36)
	var req struct{ Metadata map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(inv.Request, &req))
	var hr *bindings.HTTPRequest
	var n int
	var headers map[string]string
	var sys struct {
		MethodName string
		UtcNow     time.Time
		RandGuid   string
	}
	replay(t, inv.Request, bindings.HTTPTrigger("req", nil), func(inv *bindings.Invocation) {
		var err error
		hr, err = inv.HTTPRequest()
		require.NoError(t, err)
		require.NoError(t, inv.Metadata("n", &n))
		require.NoError(t, inv.Metadata("Headers", &headers))
		require.NoError(t, inv.Metadata("sys", &sys))
	})
	assert.Equal(t, f.host.URL+"/api/messages?room=1&code=secret", hr.URL)
	assert.Equal(t, "POST", hr.Method)
	assert.Equal(t, map[string]string{"room": "1", "code": "secret"}, hr.Query)
	assert.Equal(t, []string{"application/json"}, hr.HeaderValues("content-type"))
	assert.Equal(t, strings.TrimPrefix(f.host.URL, "http://"), hr.Header("Host"))
	assert.Equal(t, map[string]string{}, hr.Params)
	require.Len(t, hr.Identities, 1)
	assert.False(t, hr.Identities[0].IsAuthenticated, "a local anonymous call")
	assert.JSONEq(t, `{"text":"hi","n":2,"meta":{"a":1},"list":[1]}`, string(hr.Body))

	assert.Equal(t, `"\"hi\""`, string(req.Metadata["text"]), "string body properties serialized twice")
	assert.Equal(t, `"\"2\""`, string(req.Metadata["n"]), "body scalars are .NET strings, serialized again")
	assert.Equal(t, 2, n)
	assert.Equal(t, `{"a":1}`, string(req.Metadata["meta"]), "objects plain")
	assert.NotContains(t, req.Metadata, "list", "arrays are not binding data")
	assert.Equal(t, `"\"1\""`, string(req.Metadata["room"]))
	assert.NotContains(t, req.Metadata, "code", "the key parameter is left out")
	assert.NotContains(t, req.Metadata, "req", "the trigger value is not metadata")
	assert.Equal(t, "application/json", headers["Content-Type"])
	assert.Equal(t, "messages", sys.MethodName)
	assert.Len(t, sys.RandGuid, 36)
	assert.WithinDuration(t, time.Now(), sys.UtcNow, time.Minute)

	// Key order of the trigger value, as GetRequestAsJObject builds it.
	var data map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(inv.Request, &struct{ Data *map[string]json.RawMessage }{&data}))
	order := []string{`"Url"`, `"Method"`, `"Query"`, `"Headers"`, `"Params"`, `"Identities"`, `"Body"`}
	last := -1
	for _, k := range order {
		i := bytes.Index(data["req"], []byte(k+":"))
		require.Greater(t, i, last, k)
		last = i
	}
	assert.Equal(t, "application/json; charset=utf-8", "application/json; charset=utf-8")
}

func TestChunkedBodyIsDropped(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	req, err := http.NewRequest(http.MethodPost, f.host.URL+"/api/messages", io.MultiReader(strings.NewReader(`{"text":"hi"}`)))
	require.NoError(t, err)
	req.ContentLength = -1 // chunked
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "the host sends no Body without Content-Length")
}

// rawHandler is a custom handler written without package bindings, answering every invocation
// with a canned response.
type rawHandler struct {
	status      int
	contentType string
	body        string
	got         chan *http.Request
}

func (h *rawHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		return
	}
	if h.got != nil {
		select {
		case h.got <- r:
		default:
		}
	}
	if h.contentType != "" {
		w.Header().Set("Content-Type", h.contentType)
	}
	w.WriteHeader(h.status)
	_, _ = io.WriteString(w, h.body)
}

// functionsDir writes the declarations of a one-function app to a temporary folder.
func functionsDir(t *testing.T, opts *bindings.AppOptions, fn string, bs ...bindings.Binding) string {
	t.Helper()
	app := bindings.NewApp(opts)
	require.NoError(t, app.Func(fn, func(context.Context, *bindings.Invocation) error { return nil }, bs...))
	dir := t.TempDir()
	writeFunctionJSON(t, app, dir)
	return dir
}

func TestHostRejectsWhatTheHostRejects(t *testing.T) {
	dir := functionsDir(t, nil, "f", bindings.HTTPTrigger("req", nil), bindings.HTTPOutput("res"), bindings.SignalROutput("out", "chat", nil))
	tests := []struct {
		name     string
		handler  rawHandler
		wantCode int
		wantErr  string
	}{
		{name: "text/plain response", handler: rawHandler{status: 200, body: `{"Outputs":{}}`}, wantCode: 500, wantErr: "No MediaTypeFormatter"},
		{name: "explicit text/plain", handler: rawHandler{status: 200, contentType: "text/plain", body: `{}`}, wantCode: 500, wantErr: "media type 'text/plain'"},
		{name: "non-2xx", handler: rawHandler{status: 400, contentType: "application/json", body: `{}`}, wantCode: 500, wantErr: "400 (Bad Request)"},
		{name: "invalid JSON", handler: rawHandler{status: 200, contentType: "application/json", body: `<html>`}, wantCode: 500, wantErr: "not a JSON object"},
		{name: "Outputs not an object", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":[1]}`}, wantCode: 500, wantErr: "Outputs is not a JSON object"},
		{name: "text/json accepted", handler: rawHandler{status: 200, contentType: "text/json", body: `{"outputs":{"res":{"statusCode":201,"body":"ok"}}}`}, wantCode: 201},
		{name: "base64-looking signalR output", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"out":"dGVzdA=="}}`}, wantCode: 500, wantErr: "valid base64"},
		{name: "bare string item", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"out":["hello"]}}`}, wantCode: 500, wantErr: "Value cannot be null"},
		{name: "message without a target", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"out":{"arguments":[]}}}`}, wantCode: 500, wantErr: "Unable to convert JObject"},
		{name: "non-JSON string output", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"out":"hello there"}}`}, wantCode: 500, wantErr: "not JSON"},
		{name: "group action without user", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"out":{"action":"add","groupName":"g"}}}`}, wantCode: 500, wantErr: "ConnectionId and UserId cannot be null or empty together"},
		{name: "http output not an object", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"res":"SomeBlah"}}`}, wantCode: 500, wantErr: "not a JSON object"},
		{name: "null content type header", handler: rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"res":{"headers":{"Content-Type":null},"body":"x"}}}`}, wantCode: 500, wantErr: "content-type header cannot be null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, &tt.handler, &bindingstest.Options{FunctionsDir: dir})
			resp, _ := do(t, http.MethodGet, f.host.URL+"/api/f", nil, "")
			assert.Equal(t, tt.wantCode, resp.StatusCode)
			invs := f.host.Invocations()
			require.Len(t, invs, 1)
			if tt.wantErr != "" {
				assert.Contains(t, invs[0].Err, tt.wantErr)
			} else {
				assert.Empty(t, invs[0].Err)
			}
		})
	}
}

func TestHostHeadersAndReadiness(t *testing.T) {
	h := &rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{"res":{"body":"ok"}}}`, got: make(chan *http.Request, 1)}
	dir := functionsDir(t, nil, "f", bindings.HTTPTrigger("req", nil), bindings.HTTPOutput("res"))
	f := newFixture(t, h, &bindingstest.Options{FunctionsDir: dir, HostVersion: "4.0.0.1"})
	resp, _ := do(t, http.MethodGet, f.host.URL+"/API/F", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "routes match ignoring case")
	r := <-h.got
	assert.Equal(t, "/f", r.URL.Path)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Equal(t, "4.0.0.1", r.Header.Get("X-Azure-Functions-HostVersion"))
	assert.Equal(t, "Azure-Functions-Host/4.0.0.1", r.Header.Get("User-Agent"))
	assert.Len(t, r.Header.Get("X-Azure-Functions-InvocationId"), 36)

	resp, _ = do(t, http.MethodGet, f.host.URL+"/api/nope", nil, "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestForwardingMode(t *testing.T) {
	h := &rawHandler{status: 418, contentType: "application/octet-stream", body: "\x00\x01", got: make(chan *http.Request, 1)}
	dir := functionsDir(t, &bindings.AppOptions{EnableForwardingHTTPRequest: true}, "f",
		bindings.HTTPTrigger("req", &bindings.HTTPOptions{Route: "files/{*path}"}), bindings.HTTPOutput("res"))
	f := newFixture(t, h, &bindingstest.Options{FunctionsDir: dir})
	resp, body := do(t, http.MethodPut, f.host.URL+"/api/files/a/b?x=1", http.Header{"X-Custom": {"v"}}, "payload")
	assert.Equal(t, 418, resp.StatusCode, "non-2xx passed through in forwarding mode")
	assert.Equal(t, []byte("\x00\x01"), body, "binary bodies pass through")
	r := <-h.got
	assert.Equal(t, "/api/files/a/b", r.URL.Path, "the original path")
	assert.Equal(t, "x=1", r.URL.RawQuery)
	assert.Equal(t, http.MethodPut, r.Method)
	assert.Equal(t, "v", r.Header.Get("X-Custom"))
	assert.NotEmpty(t, r.Header.Get("X-Azure-Functions-InvocationId"))
	invs := f.host.Invocations()
	require.Len(t, invs, 1)
	assert.Equal(t, []byte("payload"), invs[0].Request)
}

func TestForwardingWithApp(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{EnableProxyingHTTPRequest: true, Logger: quiet})
	require.NoError(t, app.HTTP("item", &bindings.HTTPOptions{Route: "items/{id:int}"}, func(ctx context.Context, inv *bindings.Invocation) error {
		req, err := inv.HTTPRequest()
		if err != nil {
			return err
		}
		return inv.Respond(http.StatusOK, nil, "item "+req.Params["id"])
	}))
	f := newFixture(t, app, nil)
	resp, body := do(t, http.MethodGet, f.host.URL+"/api/items/7", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "item 7", string(body))
}

func TestCORSAndFallback(t *testing.T) {
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "index") })
	f := newFixture(t, chatApp(t), &bindingstest.Options{CORS: []string{"http://localhost:8080"}, CORSCredentials: true, Fallback: fallback})

	resp, _ := do(t, http.MethodOptions, f.host.URL+"/api/negotiate", http.Header{
		"Origin": {"http://localhost:8080"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"x-requested-with"},
	}, "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:8080", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "x-requested-with", resp.Header.Get("Access-Control-Allow-Headers"))

	resp, _ = do(t, http.MethodOptions, f.host.URL+"/api/negotiate", http.Header{"Origin": {"http://evil.example"}, "Access-Control-Request-Method": {"POST"}}, "")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp, body := do(t, http.MethodGet, f.host.URL+"/index.html", nil, "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "index", string(body))
}

func TestNewHostErrors(t *testing.T) {
	_, err := bindingstest.NewHost(nil, nil)
	require.ErrorContains(t, err, "handler is nil")
	_, err = bindingstest.NewHost(http.NotFoundHandler(), &bindingstest.Options{Logger: quiet})
	require.ErrorContains(t, err, "Options.FunctionsDir must name the folder")
	_, err = bindingstest.NewHostForURL("http://127.0.0.1:1", nil)
	require.ErrorContains(t, err, "FunctionsDir is required")
	dir := functionsDir(t, nil, "f", bindings.HTTPTrigger("req", nil))
	_, err = bindingstest.NewHostForURL("not a url", &bindingstest.Options{FunctionsDir: dir})
	require.ErrorContains(t, err, "not an absolute http URL")
	// A port nothing listens on: bound, then released (a fixed port may be taken on the machine).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = bindingstest.NewHostForURL(closed, &bindingstest.Options{FunctionsDir: dir, StartupTimeout: 100 * time.Millisecond})
	require.ErrorContains(t, err, "did not answer GET /")
	_, err = bindingstest.NewHost(http.NotFoundHandler(), &bindingstest.Options{FunctionsDir: t.TempDir()})
	require.ErrorContains(t, err, "host.json")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte("{"), 0o644))
	_, err = bindingstest.NewHost(http.NotFoundHandler(), &bindingstest.Options{FunctionsDir: dir})
	require.Error(t, err)
}

func TestConnectionInfoExpressions(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.Negotiate("negotiate", "%HubSetting%", &bindings.NegotiateOptions{
		HTTPOptions: bindings.HTTPOptions{Route: "{tenant}/negotiate", AuthLevel: bindings.AuthLevelAnonymous},
		ConnectionInfoOptions: bindings.ConnectionInfoOptions{
			UserID:        "{tenant}-{query.user}",
			IDToken:       "{headers.authorization}",
			ClaimTypeList: []string{"name"},
		},
	}))
	f := newFixture(t, app, &bindingstest.Options{Settings: map[string]string{"HubSetting": "chat"}})

	// An unsigned id token: the binding copies claims without trusting them for identity.
	idToken := "eyJhbGciOiJub25lIn0.eyJuYW1lIjoiQWxpY2UiLCJyb2xlIjoiYWRtaW4ifQ."
	resp, body := do(t, http.MethodPost, f.host.URL+"/api/contoso/negotiate?user=alice", http.Header{"Authorization": {"Bearer " + idToken}}, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var info struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	require.NoError(t, json.Unmarshal(body, &info))
	assert.Contains(t, info.URL, "hub=chat", "%HubSetting% resolved")
	claims := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(info.AccessToken, claims)
	require.NoError(t, err)
	assert.Equal(t, "contoso-alice", claims["asrs.s.uid"], "route value and query expression resolved")
	assert.Equal(t, "Alice", claims["name"])
	assert.NotContains(t, claims, "role", "only claimTypeList claims are copied")

	resp, _ = do(t, http.MethodPost, f.host.URL+"/api/contoso/negotiate", http.Header{"Authorization": {"Bearer " + idToken}}, "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "a missing query value fails the invocation")
}

func TestNewHostForURLWithEmptyRoutePrefix(t *testing.T) {
	empty := ""
	app := bindings.NewApp(&bindings.AppOptions{RoutePrefix: &empty, Logger: quiet})
	require.NoError(t, app.HTTP("ping", &bindings.HTTPOptions{Route: "health/ping"}, func(ctx context.Context, inv *bindings.Invocation) error {
		return inv.Respond(http.StatusOK, nil, "pong")
	}))
	dir := t.TempDir()
	writeFunctionJSON(t, app, dir)
	handler := httptestServer(t, app)

	host, err := bindingstest.NewHostForURL(handler, &bindingstest.Options{FunctionsDir: dir, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	resp, body := do(t, http.MethodGet, host.URL+"/health/ping", nil, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "pong", string(body))
	resp, _ = do(t, http.MethodGet, host.URL+"/api/health/ping", nil, "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestStringsRedactConnectionStrings(t *testing.T) {
	const secret = "AccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	opts := bindingstest.Options{Addr: "127.0.0.1:0", Logger: quiet, SignalRConnectionString: "Endpoint=http://x;" + secret,
		Settings: map[string]string{"Other": "Endpoint=http://y;" + secret}, FunctionKeys: map[string]string{"default": secret}, MasterKey: secret}
	host, err := bindingstest.NewHost(chatApp(t), &opts)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	for _, v := range []any{opts, &opts, host} {
		for _, format := range []string{"%v", "%+v", "%#v"} {
			assert.NotContains(t, fmt.Sprintf(format, v), secret)
		}
	}
	assert.Equal(t, "bindingstest.Options{Addr: 127.0.0.1:0, SignalRConnectionString: REDACTED, Settings: [Other] (values REDACTED), FunctionKeys: [default] (values REDACTED), MasterKey: REDACTED}", opts.String())
	assert.Equal(t, "bindingstest.Host("+host.URL+")", host.String())
}
