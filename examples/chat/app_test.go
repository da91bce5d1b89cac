package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// startChat runs the chat locally on a free port: the emulator, the fake Functions host and
// the page, as `go run ./examples/chat` does.
func startChat(t *testing.T) *localdev.Server {
	t.Helper()
	s, err := localdev.Start(localdev.Config{Name: "chat", Build: newApp, Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post calls an HTTP function as user and returns the status and the decoded JSON answer.
func post(t *testing.T, s *localdev.Server, fn, user string, body any) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(s.URL+"api/"+fn+"?user="+url.QueryEscape(user), "application/json", bytes.NewReader(raw))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var answer map[string]any
	if len(out) > 0 {
		require.NoError(t, json.Unmarshal(out, &answer), "body %q", out)
	}
	return resp.StatusCode, answer
}

// sends returns the REST calls the functions made to the service, without the reads.
func sends(srv *signalrtest.Server) []signalrtest.RESTCall {
	var out []signalrtest.RESTCall
	for _, c := range srv.RESTCalls() {
		if c.Method != http.MethodGet && c.Method != http.MethodHead {
			out = append(out, c)
		}
	}
	return out
}

func TestHTTPFunctions(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	tests := []struct {
		name   string
		fn     string
		user   string
		body   any
		status int
		method string
		path   string
		sent   map[string]any // the newMessage argument the service received
	}{
		{"broadcast", "broadcast", "alice", map[string]string{"text": "hello"}, 202, "POST", "/api/hubs/chat/:send",
			map[string]any{"sender": "alice", "text": "hello", "kind": "all"}},
		{"broadcast anonymous", "broadcast", "", map[string]string{"text": "hi"}, 202, "POST", "/api/hubs/chat/:send",
			map[string]any{"sender": "anonymous", "text": "hi", "kind": "all"}},
		{"direct message", "sendToUser", "alice", map[string]string{"to": "bob", "text": "psst"}, 202, "POST", "/api/hubs/chat/users/bob/:send",
			map[string]any{"sender": "alice", "text": "psst", "kind": "dm"}},
		{"group message", "sendToGroup", "alice", map[string]string{"group": "go", "text": "gophers"}, 202, "POST", "/api/hubs/chat/groups/go/:send",
			map[string]any{"sender": "alice", "text": "gophers", "kind": "group", "group": "go"}},
		{"leave group", "leaveGroup", "alice", map[string]string{"group": "go", "connectionId": "c1"}, 202, "DELETE", "/api/hubs/chat/groups/go/connections/c1", nil},
		{"empty text", "broadcast", "alice", map[string]string{"text": "  "}, 400, "", "", nil},
		{"long text", "broadcast", "alice", map[string]string{"text": strings.Repeat("x", maxTextLength+1)}, 400, "", "", nil},
		{"no recipient", "sendToUser", "alice", map[string]string{"text": "hi"}, 400, "", "", nil},
		{"no group", "sendToGroup", "alice", map[string]string{"text": "hi"}, 400, "", "", nil},
		{"long group", "joinGroup", "alice", map[string]string{"group": strings.Repeat("g", maxGroupLength+1), "connectionId": "c"}, 400, "", "", nil},
		{"no connection", "joinGroup", "alice", map[string]string{"group": "go"}, 400, "", "", nil},
		{"not an object", "broadcast", "alice", []string{"hello"}, 400, "", "", nil},
		// A dot segment in the path would turn the DM into a broadcast (users/../:send is :send).
		{"direct message to ..", "sendToUser", "alice", map[string]string{"to": "..", "text": "psst"}, 400, "", "", nil},
		{"group message to ..", "sendToGroup", "alice", map[string]string{"group": "..", "text": "hi"}, 400, "", "", nil},
		{"leave group of connection ..", "leaveGroup", "alice", map[string]string{"group": "go", "connectionId": ".."}, 400, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Sequential: each case looks at the calls it added.
			before := len(sends(s.Emulator()))
			status, answer := post(t, s, tt.fn, tt.user, tt.body)
			require.Equal(t, tt.status, status, "answer %v", answer)
			calls := sends(s.Emulator())[before:]
			if tt.status != http.StatusAccepted {
				assert.NotEmpty(t, answer["error"], "a rejection says why")
				assert.Empty(t, calls, "nothing is sent for bad input")
				return
			}
			require.Len(t, calls, 1)
			assert.Equal(t, tt.method, calls[0].Method)
			assert.Equal(t, tt.path, calls[0].Path)
			if tt.sent != nil {
				var payload struct {
					Target    string           `json:"target"`
					Arguments []map[string]any `json:"arguments"`
				}
				require.NoError(t, json.Unmarshal(calls[0].Body, &payload))
				assert.Equal(t, target, payload.Target)
				assert.Equal(t, []map[string]any{tt.sent}, payload.Arguments)
			}
		})
	}
}

// tokenUser returns the asrs.s.uid claim of a client token ("" for anonymous). The token is
// read without verification: the emulator, which verifies it, is the judge elsewhere.
func tokenUser(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	user, _ := claims["asrs.s.uid"].(string)
	return user
}

// Who the token is for: the App Service principal (which a local run signs in from the page's
// name), else nobody: anonymous connections are allowed.
func TestNegotiateUser(t *testing.T) {
	t.Parallel()
	srv := signalrtest.NewServer(nil)
	t.Cleanup(srv.Close)
	app, err := newApp()
	require.NoError(t, err)
	// As in Azure: the host in front of the app, the principal headers as the platform sets them.
	host, err := bindingstest.NewHost(app, &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	local := startChat(t)
	tests := []struct {
		name   string
		local  bool
		query  string
		header http.Header
		user   string
	}{
		{"anonymous", false, "", nil, ""},
		{"principal", false, "", http.Header{"X-Ms-Client-Principal-Id": {"aad-123"}}, "aad-123"},
		{"the page's name is no identity", false, "?user=alice", http.Header{"X-User": {"bob"}}, ""},
		{"anonymous, locally", true, "", nil, ""},
		{"the page's name, locally", true, "?user=alice", nil, "alice"},
		{"x-user, locally", true, "", http.Header{"X-User": {"bob"}}, "bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, emu := host.URL+"/", srv
			if tt.local {
				base, emu = local.URL, local.Emulator()
			}
			req, err := http.NewRequest(http.MethodPost, base+"api/negotiate"+tt.query, nil)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var info negotiate.ConnectionInfo
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
			assert.Equal(t, emu.URL+"/client/?hub=chat", info.URL)
			assert.Equal(t, tt.user, tokenUser(t, info.AccessToken))
		})
	}
}

// The sender of an HTTP function's message is the signed-in user, as for negotiate.
func TestSenderIsTheSignedInUser(t *testing.T) {
	t.Parallel()
	srv := signalrtest.NewServer(nil)
	t.Cleanup(srv.Close)
	app, err := newApp()
	require.NoError(t, err)
	host, err := bindingstest.NewHost(app, &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	for _, tt := range []struct {
		header http.Header
		status int
		want   string
	}{
		{http.Header{"X-Ms-Client-Principal-Id": {"aad-123"}}, http.StatusAccepted, `"sender":"aad-123"`},
		{http.Header{"X-User": {"mallory"}}, http.StatusAccepted, `"sender":"anonymous"`},
		{http.Header{"X-Ms-Client-Principal": {"not base64 JSON"}}, http.StatusBadRequest, ""},
	} {
		req, err := http.NewRequest(http.MethodPost, host.URL+"/api/broadcast?user=mallory", strings.NewReader(`{"text":"hi"}`))
		require.NoError(t, err)
		for k, v := range tt.header {
			req.Header[k] = v
		}
		before := len(sends(srv))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, tt.status, resp.StatusCode)
		calls := sends(srv)[before:]
		if tt.want == "" {
			assert.Empty(t, calls, "a malformed principal sends nothing")
			continue
		}
		require.Len(t, calls, 1)
		assert.Contains(t, string(calls[0].Body), tt.want)
	}
}

// The hub methods, through the official JS client: connections/connected announces, send
// "broadcast" reaches everyone, invoke "echo" returns a value, and closing announces departure.
func TestHubMethodsWithJSClient(t *testing.T) {
	t.Parallel()
	jsclient.Require(t)
	s := startChat(t)
	ctx := ctxFor(t)
	connect := func(user string) *jsclient.Client {
		return jsclient.Start(t, jsclient.Config{URL: s.URL + "api?user=" + user, Targets: []string{target}})
	}
	// next waits for want on c; other messages are skipped.
	next := func(c *jsclient.Client, want chatMessage) {
		t.Helper()
		_, err := c.WaitFor(ctx, func(e jsclient.Event) bool {
			var m chatMessage
			return e.Kind == jsclient.EventMessage && e.Target == target && e.Arg(0, &m) == nil && m == want
		})
		require.NoError(t, err, "waiting for %+v", want)
	}

	alice := connect("alice")
	next(alice, chatMessage{Text: "alice joined", Kind: kindSystem})
	bob := connect("bob")
	next(alice, chatMessage{Text: "bob joined", Kind: kindSystem})

	require.NoError(t, bob.Send(ctx, "broadcast", "from the hub"))
	for _, c := range []*jsclient.Client{alice, bob} {
		next(c, chatMessage{Sender: "bob", Text: "from the hub", Kind: kindAll})
	}

	// "test" is valid base64: the reply is an object so the host cannot mangle it.
	raw, err := alice.Invoke(ctx, "echo", "test")
	require.NoError(t, err)
	assert.JSONEq(t, `{"text":"test","user":"alice"}`, string(raw))

	_, err = alice.Invoke(ctx, "echo", "")
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr, "an invalid invoke fails on the caller")

	require.NoError(t, bob.Stop(ctx))
	next(alice, chatMessage{Text: "bob left", Kind: kindSystem})
}

func TestFunctionJSONUpToDate(t *testing.T) {
	t.Parallel()
	app, err := newApp()
	require.NoError(t, err)
	require.NoError(t, app.CheckFunctionJSON("."), "regenerate with: go generate ./examples/chat")
}

// FuzzHTTPFunctions sends every HTTP function arbitrary bodies and signed-in users, as the host
// delivers them: the app always answers the host, and the caller gets 202 or a 400 saying why.
func FuzzHTTPFunctions(f *testing.F) {
	// The HTTP functions besides negotiate, whose input the host builds.
	fns := []string{"broadcast", "sendToUser", "joinGroup", "leaveGroup", "sendToGroup"}
	for _, seed := range []struct {
		fn         uint8
		user, body string
	}{
		{0, "alice", `{"text":"hi"}`},
		{1, "alice", `{"to":"bob","text":"hi"}`},
		{2, "", `{"group":"g","connectionId":"c"}`},
		{3, "x", `{"group":"","connectionId":"c"}`},
		{4, "x", `{"group":"g\u0000","text":"hi"}`},
		{0, "", `[1,2]`},
		{0, "", `{"text":1}`},
		{0, "", ``},
	} {
		f.Add(seed.fn, seed.user, seed.body)
	}
	app, err := newApp()
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, pick uint8, user, body string) {
		fn := fns[int(pick)%len(fns)]
		req := map[string]any{
			"Method":  "POST",
			"URL":     "http://localhost/api/" + fn,
			"Headers": map[string][]string{"X-Ms-Client-Principal-Id": {user}},
			"Query":   map[string]string{},
			"Params":  map[string]string{},
		}
		if body != "" {
			req["Body"] = body
		}
		payload, err := json.Marshal(map[string]any{"Data": map[string]any{"req": req}, "Metadata": map[string]any{}})
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/"+fn, bytes.NewReader(payload)))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %q: host got %d %s", fn, body, rec.Code, rec.Body)
		}
		var resp struct {
			Outputs struct {
				Res struct {
					StatusCode int    `json:"statusCode"`
					Body       string `json:"body"`
				} `json:"res"`
			}
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
		switch resp.Outputs.Res.StatusCode {
		case http.StatusAccepted:
		case http.StatusBadRequest:
			var e map[string]string
			require.NoError(t, json.Unmarshal([]byte(resp.Outputs.Res.Body), &e))
			require.NotEmpty(t, e["error"])
		default:
			t.Fatalf("%s %q: status %d", fn, body, resp.Outputs.Res.StatusCode)
		}
	})
}
