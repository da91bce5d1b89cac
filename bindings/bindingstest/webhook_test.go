package bindingstest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// upstreamRequest builds a request exactly as the service sends one to the webhook.
type upstreamRequest struct {
	connID, hub, category, event, user string
	contentType                        string
	body                               []byte
	key                                string // signing key; "" for an unsigned request
}

func (u upstreamRequest) send(t *testing.T, f *fixture) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{
		trigger.HeaderConnectionID: {u.connID},
		trigger.HeaderHub:          {u.hub},
		trigger.HeaderCategory:     {u.category},
		trigger.HeaderEvent:        {u.event},
		"Content-Type":             {u.contentType},
	}
	if u.user != "" {
		h.Set(trigger.HeaderUserID, u.user)
	}
	if u.key != "" {
		h.Set(trigger.HeaderSignature, trigger.Signature(u.key, u.connID))
	}
	for k, v := range h {
		if len(v) == 1 && v[0] == "" {
			delete(h, k)
		}
	}
	return do(t, http.MethodPost, f.host.URL+bindingstest.WebhookPath, h, string(u.body))
}

func jsonInvocation(t *testing.T, id, target string, args ...any) []byte {
	t.Helper()
	m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: id, Target: target}
	for _, a := range args {
		m.Arguments = append(m.Arguments, hubproto.ValueOf(a))
	}
	b, err := hubproto.JSON.Marshal(&m)
	require.NoError(t, err)
	return b
}

func sendsTo(srv *signalrtest.Server, hub string) []string {
	var out []string
	for _, c := range srv.RESTCalls() {
		if c.Method == http.MethodPost && strings.Contains(c.Path, "/hubs/"+hub) {
			out = append(out, string(c.Body))
		}
	}
	return out
}

func TestWebhookInvokeJSON(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	key := f.srv.AccessKeys()[0]
	resp, body := upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", user: "alice",
		contentType: "application/json", body: jsonInvocation(t, "7", "broadcast", "hi"), key: key}.send(t, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Empty(t, resp.Header.Values("Content-Type"), "the extension's Completion has no media type")
	m, n, err := hubproto.JSON.ParseFrame(body)
	require.NoError(t, err)
	assert.Equal(t, len(body), n, "one framed Completion")
	assert.Equal(t, hubproto.TypeCompletion, m.Type)
	assert.Equal(t, "7", m.InvocationID)
	require.True(t, m.HasResult)
	var result map[string]any
	require.NoError(t, m.Result.Decode(&result))
	assert.Equal(t, map[string]any{"echo": "hi", "n": float64(3)}, result)

	sends := sendsTo(f.srv, "chat")
	require.Len(t, sends, 1, "the signalR output was applied")
	assert.Contains(t, sends[0], `"alice"`)

	// The payload: PascalCase context object, parameterNames in Metadata.
	invs := f.host.Invocations()
	require.Len(t, invs, 1)
	assert.Equal(t, "broadcast", invs[0].Function)
	var req struct{ Data, Metadata map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(invs[0].Request, &req))
	raw := string(req.Data["invocation"])
	assert.True(t, strings.HasPrefix(raw, `{"Arguments":["hi"],"Error":null,"Category":"messages","Event":"broadcast","Hub":"chat","ConnectionId":"c1","UserId":"alice","Headers":{`), raw)
	assert.Equal(t, `"\"hi\""`, string(req.Metadata["message"]))
	replay(t, invs[0].Request, bindings.SignalRTrigger("invocation", "chat", trigger.CategoryMessages, "broadcast", nil), func(inv *bindings.Invocation) {
		c, err := inv.InvocationContext()
		require.NoError(t, err)
		assert.Equal(t, "c1", c.ConnectionID)
		var sys struct{ MethodName string }
		require.NoError(t, inv.Metadata("sys", &sys))
		assert.Equal(t, "broadcast", sys.MethodName)
	})
}

func TestWebhookMessagePack(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	m := hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: "8", Target: "broadcast", Arguments: []hubproto.Value{hubproto.ValueOf("mp")}}
	body, err := hubproto.MessagePack.Marshal(&m)
	require.NoError(t, err)
	resp, out := upstreamRequest{connID: "c2", hub: "Chat", category: "messages", event: "BROADCAST",
		contentType: "application/x-msgpack", body: body, key: f.srv.AccessKeys()[0]}.send(t, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(out))
	assert.Empty(t, resp.Header.Values("Content-Type"))
	got, _, err := hubproto.MessagePack.ParseFrame(out)
	require.NoError(t, err)
	assert.Equal(t, "8", got.InvocationID)
	var result struct {
		Echo string `json:"echo"`
		N    int    `json:"n"`
	}
	require.NoError(t, got.Result.Decode(&result))
	assert.Equal(t, "mp", result.Echo)
	assert.Equal(t, 3, result.N)
}

func TestWebhookOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		req        upstreamRequest
		wantStatus int
		check      func(t *testing.T, body []byte)
	}{
		{
			name:       "send gets an empty 200",
			req:        upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":1,"target":"broadcast","arguments":["x"]}`)},
			wantStatus: http.StatusOK,
			check:      func(t *testing.T, body []byte) { assert.Empty(t, body) },
		},
		{
			name:       "failed invoke becomes a Completion error",
			req:        upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":1,"invocationId":"9","target":"broadcast","arguments":["fail"]}`)},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) {
				m, _, err := hubproto.JSON.ParseFrame(body)
				require.NoError(t, err)
				assert.True(t, m.HasError)
				assert.Contains(t, m.Error, "500 (Internal Server Error)")
			},
		},
		{
			name:       "argument count must match parameterNames",
			req:        upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":1,"invocationId":"10","target":"broadcast","arguments":["a","b"]}`)},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) {
				m, _, err := hubproto.JSON.ParseFrame(body)
				require.NoError(t, err)
				assert.Equal(t, "The function accept 1 arguments but message provided 2.", m.Error)
			},
		},
		{name: "failed send is a 200", req: upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":1,"target":"broadcast","arguments":["fail"]}`)}, wantStatus: http.StatusOK},
		{name: "connected", req: upstreamRequest{connID: "c1", hub: "chat", category: "connections", event: "connected", user: "alice", contentType: "application/json", body: []byte(`{"type":10}`)}, wantStatus: http.StatusOK},
		{name: "failed connected is a 403", req: upstreamRequest{connID: "c1", hub: "chat", category: "connections", event: "connected", user: "mallory", contentType: "application/json", body: []byte(`{"type":10}`)}, wantStatus: http.StatusForbidden},
		{name: "no function for the event", req: upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "other", contentType: "application/json", body: []byte(`{"type":1,"target":"other","arguments":[]}`)}, wantStatus: http.StatusNotFound},
		{name: "no function for disconnected", req: upstreamRequest{connID: "c1", hub: "chat", category: "connections", event: "disconnected", contentType: "application/json", body: []byte(`{"Type":11}`)}, wantStatus: http.StatusNotFound},
		{name: "unsupported content type", req: upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "text/plain", body: []byte(`x`)}, wantStatus: http.StatusUnsupportedMediaType},
		{name: "missing hub header", req: upstreamRequest{connID: "c1", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{}`)}, wantStatus: http.StatusInternalServerError},
		{name: "missing connection id", req: upstreamRequest{hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{}`)}, wantStatus: http.StatusInternalServerError},
		{name: "malformed body", req: upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":`)}, wantStatus: http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, chatApp(t), nil)
			tt.req.key = f.srv.AccessKeys()[0]
			resp, body := tt.req.send(t, f)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func TestWebhookSignature(t *testing.T) {
	f := newFixture(t, chatApp(t), nil)
	base := upstreamRequest{connID: "c1", hub: "chat", category: "messages", event: "broadcast", contentType: "application/json", body: []byte(`{"type":1,"target":"broadcast","arguments":["x"]}`)}

	forged := base
	forged.key = "not-the-key-not-the-key-not-the-key"
	resp, _ := forged.send(t, f)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	unsigned := base
	resp, _ = unsigned.send(t, f)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Empty(t, f.host.Invocations(), "the handler is never called")

	// A GET has no Content-Type, whose media type the extension reads without a check.
	resp, _ = do(t, http.MethodGet, f.host.URL+bindingstest.WebhookPath, nil, "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
}
