package signalrtest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

var bothProtocols = []hubproto.Protocol{hubproto.JSON, hubproto.MessagePack}

func TestWebSocketReceivesRESTSends(t *testing.T) {
	for _, p := range bothProtocols {
		t.Run(p.Name(), func(t *testing.T) {
			s := newTestServer(t, nil)
			c := connectWS(t, s, "chat", "alice", p)
			eventually(t, "connection registered", func() bool { return len(s.Connections("chat")) == 1 })
			info := s.Connections("chat")[0]
			assert.Equal(t, ConnectionInfo{ID: c.id, UserID: "alice", Groups: []string{}, Protocol: p.Name(), Transport: "WebSockets"}, info)

			args := []any{"hi", map[string]any{"n": 1}, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // more than Microsoft's emulator's 10
			res := rest(t, s, http.MethodPost, "/api/hubs/chat/:send?api-version=2024-12-01", map[string]any{"Target": "newMessage", "Arguments": args})
			require.Equal(t, http.StatusAccepted, res.status, string(res.body))

			m := c.read(false)
			assert.Equal(t, hubproto.TypeInvocation, m.Type)
			assert.Empty(t, m.InvocationID, "broadcasts never carry an invocation id")
			assert.Equal(t, "newMessage", m.Target)
			require.Len(t, m.Arguments, 12)
			assert.JSONEq(t, `"hi"`, argJSON(t, m.Arguments[0]))
			assert.JSONEq(t, `{"n":1}`, argJSON(t, m.Arguments[1]))
			assert.JSONEq(t, `12`, argJSON(t, m.Arguments[11]))

			res = rest(t, s, http.MethodDelete, "/api/hubs/chat/connections/"+c.id+"?reason=bye", nil)
			require.Equal(t, http.StatusOK, res.status)
			cl := c.readType(hubproto.TypeClose)
			assert.Equal(t, "bye", cl.Error)
			assert.True(t, cl.AllowReconnect)
			eventually(t, "connection removed", func() bool { return len(s.Connections("chat")) == 0 })
		})
	}
}

func TestWebSocketKeepAliveAndClientTimeout(t *testing.T) {
	s := newTestServer(t, &Options{KeepAliveInterval: 20 * time.Millisecond, ClientTimeout: 300 * time.Millisecond})
	c := connectWS(t, s, "chat", "", hubproto.JSON)
	m := c.read(true)
	assert.Equal(t, hubproto.TypePing, m.Type)
	// The client stays silent: the server drops it after the client timeout.
	eventually(t, "silent client dropped", func() bool { return len(s.Connections("chat")) == 0 })
}

func TestHandshakeErrors(t *testing.T) {
	cases := []struct {
		name, handshake, want string
	}{
		{"unknown protocol", `{"protocol":"xml","version":1}` + "\x1e", "The protocol 'xml' is not supported."},
		{"bad version", `{"protocol":"json","version":7}` + "\x1e", "The server does not support version 7 of the 'json' protocol."},
		{"malformed", `{"protocol":` + "\x1e", "The handshake request is invalid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, nil)
			s := newTestServer(t, &Options{Upstream: up.templates()})
			c := dialWS(t, s, "chat", "", false)
			require.NoError(t, c.ws.Write(testCtx(t), 1, []byte(tc.handshake)))
			assert.Equal(t, tc.want, c.readHandshake())
			_, _, err := c.ws.Read(testCtx(t))
			assert.Error(t, err, "the server closes after a failed handshake")

			// A connection that never connected must not disconnect upstream either. A
			// good connection's whole life afterwards is the barrier: the failed one
			// ended before it began.
			good := connectWS(t, s, "chat", "", hubproto.JSON)
			first := up.next(t, "connected")
			assert.Equal(t, good.id, first.header.Get("X-ASRS-Connection-Id"))
			require.NoError(t, good.ws.Close(websocket.StatusNormalClosure, ""))
			last := up.next(t, "disconnected")
			assert.Equal(t, good.id, last.header.Get("X-ASRS-Connection-Id"))
			up.mu.Lock()
			defer up.mu.Unlock()
			for _, r := range up.reqs {
				assert.NotEqual(t, c.id, r.header.Get("X-ASRS-Connection-Id"), "the failed connection sent %s upstream", r.header.Get("X-ASRS-Event"))
			}
		})
	}
}

func TestClientCloseMessage(t *testing.T) {
	for _, p := range bothProtocols {
		t.Run(p.Name(), func(t *testing.T) {
			up := newUpstream(t, nil)
			s := newTestServer(t, &Options{Upstream: up.templates()})
			c := connectWS(t, s, "chat", "", p)
			up.next(t, "connected")
			c.send(&hubproto.Message{Type: hubproto.TypeClose, Error: "client error"})
			_, _, err := c.ws.Read(testCtx(t))
			var ce websocket.CloseError
			require.ErrorAs(t, err, &ce, "the server ends the socket with a close handshake")
			assert.Equal(t, websocket.StatusNormalClosure, ce.Code)
			r := up.next(t, "disconnected")
			assert.JSONEq(t, `{"Type":11,"Error":"client error"}`, string(r.body))
			eventually(t, "removed", func() bool { return len(s.Connections("chat")) == 0 })
		})
	}
}

func TestWebSocketIDRules(t *testing.T) {
	s := newTestServer(t, nil)
	c := connectWS(t, s, "chat", "", hubproto.JSON)
	tok := clientToken(t, s, "chat", "")

	// A second socket for the same id is refused.
	_, resp, err := websocket.Dial(testCtx(t), "ws"+strings.TrimPrefix(s.URL, "http")+"/client/?hub=chat&id="+c.token+"&access_token="+tok, nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)

	// POST is for SSE and long polling only.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/client/?hub=chat&id="+c.token, strings.NewReader("x"))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)

	// The id must belong to the hub named in the query.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"/client/?hub=other&id="+c.token, nil)
	req.Header.Set("Authorization", "Bearer "+clientToken(t, s, "other", ""))
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestSkipNegotiation(t *testing.T) {
	s := newTestServer(t, nil)
	ws, resp, err := websocket.Dial(testCtx(t), "ws"+strings.TrimPrefix(s.URL, "http")+"/client/?hub=chat", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + clientToken(t, s, "chat", "sam")}},
	})
	require.NoError(t, err)
	if resp.Body != nil {
		resp.Body.Close()
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	c := &wsClient{t: t, ws: ws}
	c.handshake(hubproto.JSON, 1)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
	assert.Equal(t, "sam", s.Connections("chat")[0].UserID)
}
