package trigger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type chatMessage struct {
	From string `json:"from"`
	Text string `json:"text"`
}

func newTestRouter(t *testing.T, logs io.Writer) *Router {
	t.Helper()
	var logger *slog.Logger
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{AccessKeys: []string{primaryKey, secondaryKey}, MaxBodySize: 4096}, Logger: logger})
	require.NoError(t, r.OnConnected("chat", func(ctx context.Context, inv *Invocation) error {
		if inv.UserID == "" {
			return errors.New("anonymous users are not allowed")
		}
		return nil
	}))
	require.NoError(t, r.OnDisconnected("chat", func(ctx context.Context, inv *Invocation) error {
		return errors.New("cleanup failed")
	}))
	require.NoError(t, r.OnMessage("chat", "broadcast", func(ctx context.Context, inv *Invocation, user, text string) error {
		if text == "fail" {
			return errors.New("broadcast failed")
		}
		return nil
	}))
	require.NoError(t, r.OnMessage("chat", "echo", func(ctx context.Context, inv *Invocation, user, text string) (string, error) {
		if text == "fail" {
			return "", errors.New("echo failed")
		}
		return user + ": " + text, nil
	}))
	require.NoError(t, r.OnMessage("Chat", "Post", func(ctx context.Context, inv *Invocation, m chatMessage, n int) (chatMessage, error) {
		m.Text = strings.Repeat(m.Text, n)
		return m, nil
	}))
	require.NoError(t, r.OnMessage("chat", "void", func(ctx context.Context, inv *Invocation) error { return nil }))
	require.NoError(t, r.OnMessage("chat", "panic", func(ctx context.Context, inv *Invocation) error { panic("secret detail") }))
	require.NoError(t, r.OnMessage("chat", "badresult", func(ctx context.Context, inv *Invocation) (any, error) { return make(chan int), nil }))
	return r
}

func serve(r http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func invocationBody(id, target string, args ...any) string {
	m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: id, Target: target}
	for _, a := range args {
		m.Arguments = append(m.Arguments, hubproto.ValueOf(a))
	}
	b, err := hubproto.JSON.Marshal(&m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func messageRequest(t *testing.T, body, event string) *http.Request {
	return newUpstream(t, body, ContentTypeJSON, set(HeaderEvent, event))
}

func connectionRequest(t *testing.T, event, body string, mutate func(http.Header)) *http.Request {
	return newUpstream(t, body, ContentTypeJSON, func(h http.Header) {
		h.Set(HeaderCategory, CategoryConnections)
		h.Set(HeaderEvent, event)
		if mutate != nil {
			mutate(h)
		}
	})
}

func completion(t *testing.T, body []byte, p hubproto.Protocol) hubproto.Message {
	t.Helper()
	m, n, err := p.ParseFrame(body)
	require.NoError(t, err)
	require.Equal(t, len(body), n, "exactly one framed message")
	require.Equal(t, hubproto.TypeCompletion, m.Type)
	return m
}

// assertNoContentType checks a Completion answer carries no media type, as the extension's
// ByteArrayContent (SignalRInvocationMethodExecutor.cs): none set, none sniffed.
func assertNoContentType(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	assert.Empty(t, w.Result().Header.Values("Content-Type"))
	assert.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"))
}

func TestRouterStatuses(t *testing.T) {
	r := newTestRouter(t, nil)
	withUser := func(h http.Header) { h.Set(HeaderUserID, "alice") }
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
	}{
		{"connected", connectionRequest(t, "connected", `{"type":10}`, withUser), 200, ""},
		{"connected handler fails", connectionRequest(t, "connected", `{"type":10}`, nil), 403, "trigger: connected handler failed\n"},
		{"disconnected handler fails", connectionRequest(t, "disconnected", `{"Type":11,"Error":"x"}`, nil), 200, ""},
		{"send", messageRequest(t, invocationBody("", "broadcast", "alice", "hi"), "broadcast"), 200, ""},
		// SignalRInvocationMethodExecutor.cs (azure-sdk-for-net, SignalR extension) answers
		// every send() with an empty 200, whatever the function did.
		{"send handler fails", messageRequest(t, invocationBody("", "broadcast", "alice", "fail"), "broadcast"), 200, ""},
		{"send bad arguments", messageRequest(t, invocationBody("", "broadcast", "alice", 5), "broadcast"), 200, ""},
		{"send wrong argument count", messageRequest(t, invocationBody("", "broadcast", "alice"), "broadcast"), 200, ""},
		{"send panics", messageRequest(t, invocationBody("", "panic"), "panic"), 200, ""},
		{"empty invocation id is a send", messageRequest(t, `{"type":1,"invocationId":"","target":"broadcast","arguments":["alice","fail"]}`, "broadcast"), 200, ""},
		// SignalRConnectMethodExecutor.cs never reads the body.
		{"connected body is not read", connectionRequest(t, "connected", `{"type":`, withUser), 200, ""},
		{"connected MessagePack body is not read", newUpstream(t, "\x01\x02", ContentTypeMessagePack, func(h http.Header) {
			h.Set(HeaderCategory, CategoryConnections)
			h.Set(HeaderEvent, EventConnected)
			withUser(h)
		}), 200, ""},
		// SignalRDisconnectMethodExecutor.cs parses a JSON close message (type 11) first; anything
		// else throws, which the dispatcher answers with 500.
		{"disconnected empty body", connectionRequest(t, "disconnected", "", nil), 500, ""},
		{"disconnected open message", connectionRequest(t, "disconnected", `{"type":10}`, nil), 500, ""},
		{"disconnected MessagePack body", newUpstream(t, "\x02\x91\x0b", ContentTypeMessagePack, func(h http.Header) {
			h.Set(HeaderCategory, CategoryConnections)
			h.Set(HeaderEvent, EventDisconnected)
		}), 500, ""},
		{"disconnected lowercase close message", connectionRequest(t, "disconnected", `{"type":11,"error":"x"}`, nil), 200, ""},
		{"GET", httptest.NewRequest(http.MethodGet, "/", nil), 405, "trigger: upstream requests use POST\n"},
		{"no connection id", newUpstream(t, "{}", ContentTypeJSON, func(h http.Header) { h.Del(HeaderConnectionID) }), 400, ""},
		{"wrong content type", newUpstream(t, "{}", "text/plain", nil), 415, ""},
		{"no hub", newUpstream(t, "{}", ContentTypeJSON, func(h http.Header) { h.Del(HeaderHub) }), 400, ""},
		{"no event", newUpstream(t, "{}", ContentTypeJSON, func(h http.Header) { h.Del(HeaderEvent) }), 400, ""},
		{"unknown event", messageRequest(t, invocationBody("", "nothing"), "nothing"), 404, ""},
		{"unknown hub", newUpstream(t, invocationBody("", "broadcast"), ContentTypeJSON, func(h http.Header) { h.Set(HeaderHub, "other"); h.Set(HeaderEvent, "broadcast") }), 404, ""},
		{"unknown category", newUpstream(t, "{}", ContentTypeJSON, set(HeaderCategory, "streams")), 404, ""},
		{"no handler for connected", newUpstream(t, "{}", ContentTypeJSON, func(h http.Header) {
			h.Set(HeaderHub, "other")
			h.Set(HeaderCategory, "connections")
			h.Set(HeaderEvent, "connected")
		}), 404, ""},
		{"forged signature", newUpstream(t, invocationBody("", "broadcast", "a", "b"), ContentTypeJSON, func(h http.Header) {
			h.Set(HeaderEvent, "broadcast")
			h.Set(HeaderSignature, Signature("wrong", "c1"))
		}), 401, ""},
		{"forged signature to an unknown event", newUpstream(t, invocationBody("", "nothing"), ContentTypeJSON, func(h http.Header) {
			h.Set(HeaderEvent, "nothing")
			h.Set(HeaderSignature, Signature("wrong", "c1"))
		}), 401, ""}, // not 404: unsigned callers learn nothing about the registered handlers
		{"too large", messageRequest(t, invocationBody("", "broadcast", "a", strings.Repeat("x", 5000)), "broadcast"), 413, ""},
		{"malformed body", messageRequest(t, `{"type":1,`, "broadcast"), 500, ""},
		{"target mismatch", messageRequest(t, invocationBody("", "echo", "a", "b"), "broadcast"), 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(r, tt.req)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.body != "" || tt.status == 200 {
				assert.Equal(t, tt.body, w.Body.String())
			}
		})
	}
}

func TestRouterInvokeCompletions(t *testing.T) {
	r := newTestRouter(t, nil)
	tests := []struct {
		name      string
		body      string
		event     string
		want      string // the JSON completion, byte for byte
		wantError string
	}{
		{"result", invocationBody("0", "echo", "alice", "hi"), "echo", "{\"type\":3,\"invocationId\":\"0\",\"result\":\"alice: hi\"}\x1e", ""},
		{"struct result, case-insensitive route", invocationBody("7", "post", chatMessage{From: "a", Text: "ab"}, 2), "POST", "{\"type\":3,\"invocationId\":\"7\",\"result\":{\"from\":\"a\",\"text\":\"abab\"}}\x1e", ""},
		{"void is null", invocationBody("1", "void"), "void", "{\"type\":3,\"invocationId\":\"1\",\"result\":null}\x1e", ""},
		{"handler error", invocationBody("2", "echo", "alice", "fail"), "echo", "{\"type\":3,\"invocationId\":\"2\",\"error\":\"echo failed\"}\x1e", ""},
		{"bad argument", invocationBody("3", "echo", "alice", 42), "echo", "", `^trigger: argument 1: cannot decode into \*string: json: `},
		{"argument count", invocationBody("4", "echo", "alice"), "echo", "", `^trigger: the client sent 1 arguments, want 2$`},
		{"panic", invocationBody("5", "panic"), "panic", "{\"type\":3,\"invocationId\":\"5\",\"error\":\"trigger: handler panicked\"}\x1e", ""},
		{"unencodable result", invocationBody("6", "badresult"), "badresult", "{\"type\":3,\"invocationId\":\"6\",\"error\":\"the hub method result could not be encoded\"}\x1e", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(r, messageRequest(t, tt.body, tt.event))
			require.Equal(t, 200, w.Code)
			assertNoContentType(t, w)
			m := completion(t, w.Body.Bytes(), hubproto.JSON)
			if tt.wantError != "" {
				assert.True(t, m.HasError)
				assert.Regexp(t, tt.wantError, m.Error)
				return
			}
			assert.Equal(t, tt.want, w.Body.String())
		})
	}
}

func TestRouterGoldenRequests(t *testing.T) {
	r := newTestRouter(t, nil)
	tests := []struct {
		request string
		proto   hubproto.Protocol
		id      string
		body    []byte
	}{
		{"invoke_json", hubproto.JSON, "0", []byte("{\"type\":3,\"invocationId\":\"0\",\"result\":\"alice: hello world\"}\x1e")},
		{"invoke_json_rs", hubproto.JSON, "1", []byte("{\"type\":3,\"invocationId\":\"1\",\"result\":\"alice: hello world\"}\x1e")},
		// [3, {}, "0", 3, "alice: hello world"], length-prefixed.
		{"invoke_msgpack", hubproto.MessagePack, "0", append([]byte{0x19, 0x95, 0x03, 0x80, 0xa1, '0', 0x03, 0xb2}, "alice: hello world"...)},
		{"invoke_msgpack_6", hubproto.MessagePack, "3", append([]byte{0x19, 0x95, 0x03, 0x80, 0xa1, '3', 0x03, 0xb2}, "alice: hello world"...)},
		{"send_json", nil, "", nil},
		{"send_msgpack", nil, "", nil},
		{"signed_secondary_only", nil, "", nil},
		{"signed_repeated_lowercase", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.request, func(t *testing.T) {
			w := serve(r, loadRequest(t, tt.request))
			require.Equal(t, 200, w.Code, w.Body.String())
			assert.Equal(t, tt.body, w.Body.Bytes())
			if tt.proto != nil {
				m := completion(t, w.Body.Bytes(), tt.proto)
				assert.Equal(t, tt.id, m.InvocationID)
			}
		})
	}
	for _, name := range []string{"forged_signature", "missing_signature", "replayed_signature"} {
		assert.Equal(t, 401, serve(r, loadRequest(t, name)).Code, name)
	}
	assert.Equal(t, 500, serve(r, loadRequest(t, "truncated_body")).Code)
	assert.Equal(t, 200, serve(r, loadRequest(t, "connected")).Code)
	assert.Equal(t, 200, serve(r, loadRequest(t, "disconnected")).Code)
}

func TestRouterMiddlewareAndContext(t *testing.T) {
	r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{AccessKeys: []string{primaryKey}}})
	var order []string
	r.Use(func(next Handler) Handler {
		return func(ctx context.Context, inv *Invocation) (any, error) {
			order = append(order, "outer:"+inv.Event)
			return next(ctx, inv)
		}
	}, func(next Handler) Handler {
		return func(ctx context.Context, inv *Invocation) (any, error) {
			order = append(order, "inner")
			if inv.UserID == "mallory" {
				return nil, errors.New("forbidden")
			}
			return next(ctx, inv)
		}
	})
	require.NoError(t, r.OnConnected("chat", func(ctx context.Context, inv *Invocation) error {
		got, ok := FromContext(ctx)
		require.True(t, ok)
		assert.Same(t, inv, got)
		order = append(order, "handler")
		return nil
	}))
	require.NoError(t, r.OnMessage("chat", "send", func(ctx context.Context, inv *Invocation) (any, error) {
		return map[string]string{"user": inv.UserID}, nil
	}))
	assert.Equal(t, 200, serve(r, connectionRequest(t, "connected", "", nil)).Code)
	assert.Equal(t, []string{"outer:connected", "inner", "handler"}, order)

	order = nil
	assert.Equal(t, 403, serve(r, connectionRequest(t, "connected", "", set(HeaderUserID, "mallory"))).Code)
	assert.Equal(t, []string{"outer:connected", "inner"}, order)

	// A middleware added later takes effect on the next request.
	r.Use(func(next Handler) Handler {
		return func(ctx context.Context, inv *Invocation) (any, error) {
			res, err := next(ctx, inv)
			return map[string]any{"wrapped": res}, err
		}
	})
	w := serve(r, messageRequest(t, invocationBody("9", "send"), "send"))
	assert.Equal(t, "{\"type\":3,\"invocationId\":\"9\",\"result\":{\"wrapped\":{\"user\":\"\"}}}\x1e", w.Body.String())

	_, ok := FromContext(context.Background())
	assert.False(t, ok)
}

func TestRouterRegistrationErrors(t *testing.T) {
	ok := func(ctx context.Context, inv *Invocation) error { return nil }
	tests := []struct {
		name string
		fn   func(r *Router) error
		msg  string
	}{
		{"empty hub", func(r *Router) error { return r.OnConnected("", ok) }, `trigger: OnConnected(""): empty hub name`},
		{"empty hub, disconnected", func(r *Router) error { return r.OnDisconnected("", ok) }, `trigger: OnDisconnected(""): empty hub name`},
		{"nil connected", func(r *Router) error { return r.OnConnected("h", nil) }, `trigger: OnConnected("h"): nil handler`},
		{"empty event", func(r *Router) error { return r.OnMessage("h", "", ok) }, `trigger: OnMessage("h", ""): empty event name`},
		{"empty hub, message", func(r *Router) error { return r.OnMessage("", "e", ok) }, `trigger: OnMessage("", "e"): empty hub name`},
		{"nil message", func(r *Router) error { return r.OnMessage("h", "e", nil) }, `nil handler`},
		{"not a func", func(r *Router) error { return r.OnMessage("h", "e", 42) }, `want func(context.Context, *trigger.Invocation, args...) error or (R, error), got int`},
		{"no ctx", func(r *Router) error { return r.OnMessage("h", "e", func(inv *Invocation) error { return nil }) }, `got func(*trigger.Invocation) error`},
		{"no error", func(r *Router) error {
			return r.OnMessage("h", "e", func(context.Context, *Invocation) string { return "" })
		}, `got func(context.Context, *trigger.Invocation) string`},
		{"error not last", func(r *Router) error {
			return r.OnMessage("h", "e", func(context.Context, *Invocation) (error, string) { return nil, "" })
		}, `want func`},
		{"variadic", func(r *Router) error {
			return r.OnMessage("h", "e", func(context.Context, *Invocation, ...string) error { return nil })
		}, `want func`},
		{"three results", func(r *Router) error {
			return r.OnMessage("h", "e", func(context.Context, *Invocation) (int, int, error) { return 0, 0, nil })
		}, `want func`},
		{"chan argument", func(r *Router) error {
			return r.OnMessage("h", "e", func(context.Context, *Invocation, chan int) error { return nil })
		}, `argument 0 of type chan int cannot be decoded`},
		{"duplicate", func(r *Router) error {
			if err := r.OnMessage("Chat", "Send", ok); err != nil {
				return err
			}
			return r.OnMessage("chat", "send", func(context.Context, *Invocation, string) error { return nil })
		}, `trigger: OnMessage("chat", "send"): a handler is already registered by trigger: OnMessage("Chat", "Send")`},
		{"duplicate connected", func(r *Router) error {
			if err := r.OnConnected("chat", ok); err != nil {
				return err
			}
			return r.OnConnected("CHAT", ok)
		}, `already registered`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{InsecureSkipSignature: true}})
			var err error
			require.NotPanics(t, func() { err = tt.fn(r) })
			require.ErrorContains(t, err, tt.msg)
		})
	}
	// Same event name in different hubs, and the same name as message and
	// connection event, are distinct routes.
	r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{InsecureSkipSignature: true}})
	require.NoError(t, r.OnMessage("a", "connected", ok))
	require.NoError(t, r.OnConnected("a", ok))
	require.NoError(t, r.OnMessage("b", "connected", ok))
}

// mustRouter is NewRouter for options the test knows are valid.
func mustRouter(t testing.TB, opts *RouterOptions) *Router {
	t.Helper()
	r, err := NewRouter(opts)
	require.NoError(t, err)
	return r
}

// Every accepted handler shape, fast path or reflect, binds and answers.
func TestRouterHandlerShapes(t *testing.T) {
	type pt struct{ X, Y int }
	tests := []struct {
		name string
		fn   any
		args []any
		want string
	}{
		{"ctx inv error", func(context.Context, *Invocation) error { return nil }, nil, `null`},
		{"ctx inv any", func(context.Context, *Invocation) (any, error) { return 1, nil }, nil, `1`},
		{"string error", func(_ context.Context, _ *Invocation, s string) error { return nil }, []any{"a"}, `null`},
		{"string string", func(_ context.Context, _ *Invocation, s string) (string, error) { return s + "!", nil }, []any{"a"}, `"a!"`},
		{"two strings error", func(_ context.Context, _ *Invocation, a, b string) error { return nil }, []any{"a", "b"}, `null`},
		{"two strings string", func(_ context.Context, _ *Invocation, a, b string) (string, error) { return a + b, nil }, []any{"a", "b"}, `"ab"`},
		{"raw", func(_ context.Context, _ *Invocation, raw json.RawMessage) (any, error) { return raw, nil }, []any{map[string]int{"k": 1}}, `{"k":1}`},
		{"reflect struct pointer", func(_ context.Context, _ *Invocation, p *pt, n float64) (pt, error) {
			return pt{p.X * int(n), p.Y}, nil
		}, []any{pt{2, 3}, 2.0}, `{"X":4,"Y":3}`},
		{"reflect slice map", func(_ context.Context, _ *Invocation, s []int, m map[string]bool) (int, error) {
			return len(s) + len(m), nil
		}, []any{[]int{1, 2}, map[string]bool{"a": true}}, `3`},
		{"reflect error only", func(_ context.Context, _ *Invocation, n int) error { return nil }, []any{1}, `null`},
		{"reflect nil pointer result", func(_ context.Context, _ *Invocation, n int) (*pt, error) { return nil, nil }, []any{1}, `null`},
	}
	for _, tt := range tests {
		for _, p := range []hubproto.Protocol{hubproto.JSON, hubproto.MessagePack} {
			t.Run(tt.name+"/"+p.Name(), func(t *testing.T) {
				r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{AccessKeys: []string{primaryKey}}})
				require.NoError(t, r.OnMessage("chat", "m", tt.fn))
				m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "1", Target: "m"}
				for _, a := range tt.args {
					m.Arguments = append(m.Arguments, hubproto.ValueOf(a))
				}
				body, err := p.Marshal(&m)
				require.NoError(t, err)
				ct := ContentTypeJSON
				if p.Binary() {
					ct = ContentTypeMessagePack
				}
				w := serve(r, newUpstream(t, string(body), ct, set(HeaderEvent, "m")))
				require.Equal(t, 200, w.Code)
				assertNoContentType(t, w)
				c := completion(t, w.Body.Bytes(), p)
				require.False(t, c.HasError, c.Error)
				require.True(t, c.HasResult)
				got, err := c.Result.JSON()
				require.NoError(t, err)
				assert.JSONEq(t, tt.want, string(got))
			})
		}
	}
}

// Logs name the request but never a key, a signature or a bearer token.
func TestRouterLogsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	r := newTestRouter(t, &logs)
	forged := messageRequest(t, invocationBody("", "broadcast", "a", "b"), "broadcast")
	forged.Header.Set(HeaderSignature, Signature("guess", "c1"))
	forged.Header.Set("Authorization", "Bearer eyJsecret")
	assert.Equal(t, 401, serve(r, forged).Code)
	assert.Equal(t, 200, serve(r, messageRequest(t, invocationBody("", "panic"), "panic")).Code)
	out := logs.String()
	assert.Contains(t, out, "trigger: request rejected")
	assert.Contains(t, out, "status=401")
	assert.Contains(t, out, "trigger: handler panicked")
	for _, secret := range []string{primaryKey, secondaryKey, Signature("guess", "c1")[7:], Signature(primaryKey, "c1")[7:], "eyJsecret"} {
		assert.NotContains(t, out, secret)
	}
}

// A real server on 127.0.0.1:0, called concurrently.
func TestRouterOverHTTP(t *testing.T) {
	r := newTestRouter(t, nil)
	var calls atomic.Int32
	r.Use(func(next Handler) Handler {
		return func(ctx context.Context, inv *Invocation) (any, error) {
			calls.Add(1)
			return next(ctx, inv)
		}
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			req := messageRequest(t, invocationBody("0", "echo", "u", strings.Repeat("x", i)), "echo")
			req.RequestURI = ""
			req.URL = mustURL(srv.URL + "/runtime/webhooks/signalr")
			resp, err := srv.Client().Do(req)
			if err != nil {
				done <- err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			want := "{\"type\":3,\"invocationId\":\"0\",\"result\":\"u: " + strings.Repeat("x", i) + "\"}\x1e"
			if _, typed := resp.Header["Content-Type"]; typed {
				done <- errors.New("the Completion has a Content-Type: " + resp.Header.Get("Content-Type"))
				return
			}
			if resp.StatusCode != 200 || string(b) != want {
				done <- errors.New("unexpected response " + resp.Status + " " + string(b))
				return
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	assert.EqualValues(t, 8, calls.Load())
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
