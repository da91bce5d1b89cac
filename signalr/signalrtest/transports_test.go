package signalrtest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// httpClientConn drives the long polling and SSE transports with net/http.
type httpClientConn struct {
	t        *testing.T
	s        *Server
	base     string // /client/?hub=…&id=…
	tok      string
	id       string
	protocol hubproto.Protocol
}

func newHTTPClientConn(t *testing.T, s *Server, hub string) *httpClientConn {
	tok := clientToken(t, s, hub, "lp-user")
	status, nr, body := negotiate(t, s, "hub="+hub+"&negotiateVersion=1", tok)
	require.Equal(t, http.StatusOK, status, string(body))
	return &httpClientConn{t: t, s: s, base: s.URL + "/client/?hub=" + hub + "&id=" + nr.ConnectionToken, tok: tok, id: nr.ConnectionID}
}

func (h *httpClientConn) do(method, query string, body []byte, hdr map[string]string) (int, []byte) {
	h.t.Helper()
	status, b, err := h.try(method, query, body, hdr)
	require.NoError(h.t, err)
	return status, b
}

// try is do without assertions, for use on other goroutines.
func (h *httpClientConn) try(method, query string, body []byte, hdr map[string]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(testCtx(h.t), method, h.base+query, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+h.tok)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (h *httpClientConn) post(m *hubproto.Message) {
	b, err := h.protocol.AppendFrame(nil, m)
	require.NoError(h.t, err)
	status, _ := h.do(http.MethodPost, "", b, nil)
	require.Equal(h.t, http.StatusOK, status)
}

func TestLongPolling(t *testing.T) {
	for _, p := range bothProtocols {
		t.Run(p.Name(), func(t *testing.T) {
			s := newTestServer(t, nil)
			c := newHTTPClientConn(t, s, "chat")
			c.protocol = p

			status, body := c.do(http.MethodGet, "&_=1", nil, nil)
			require.Equal(t, http.StatusOK, status, "the first poll returns at once")
			assert.Empty(t, body)

			status, _ = c.do(http.MethodPost, "", hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: p.Name(), Version: 1}), nil)
			require.Equal(t, http.StatusOK, status)
			status, body = c.do(http.MethodGet, "&_=2", nil, nil)
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "{}\x1e", string(body))
			eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
			assert.Equal(t, "LongPolling", s.Connections("chat")[0].Transport)

			// A poll waits for data and returns every queued record.
			done := make(chan []byte)
			go func() {
				_, b, _ := c.try(http.MethodGet, "&_=3", nil, nil)
				done <- b
			}()
			res := rest(t, s, http.MethodPost, "/api/hubs/chat/:send", map[string]any{"target": "a", "arguments": []any{1}})
			require.Equal(t, http.StatusAccepted, res.status)
			b := <-done
			m, n, err := p.ParseFrame(b)
			require.NoError(t, err)
			assert.Equal(t, len(b), n)
			assert.Equal(t, "a", m.Target)

			// DELETE answers 202 and completes the open poll with 204.
			polled := make(chan int)
			go func() {
				st, _, _ := c.try(http.MethodGet, "&_=4", nil, nil)
				polled <- st
			}()
			eventually(t, "poll open", func() bool {
				for _, cc := range s.byTokenSnapshot() {
					cc.mu.Lock()
					open := cc.pollCancel != nil
					cc.mu.Unlock()
					if open {
						return true
					}
				}
				return false
			})
			status, _ = c.do(http.MethodDelete, "", nil, nil)
			assert.Equal(t, http.StatusAccepted, status)
			assert.Equal(t, http.StatusNoContent, <-polled)
			eventually(t, "disconnected", func() bool { return len(s.Connections("chat")) == 0 })
		})
	}
}

func TestLongPollingNewPollCancelsOld(t *testing.T) {
	s := newTestServer(t, nil)
	c := newHTTPClientConn(t, s, "chat")
	c.protocol = hubproto.JSON
	c.do(http.MethodGet, "", nil, nil)
	first := make(chan int)
	go func() {
		st, _, _ := c.try(http.MethodGet, "&_=a", nil, nil)
		first <- st
	}()
	eventually(t, "first poll open", func() bool { return c.pollOpen() })
	second := make(chan int)
	go func() {
		st, _, _ := c.try(http.MethodGet, "&_=b", nil, nil)
		second <- st
	}()
	assert.Equal(t, http.StatusNoContent, <-first)
	status, _ := c.do(http.MethodDelete, "", nil, nil)
	assert.Equal(t, http.StatusAccepted, status)
	assert.Equal(t, http.StatusNoContent, <-second)
}

func (h *httpClientConn) pollOpen() bool {
	for _, c := range h.s.byTokenSnapshot() {
		c.mu.Lock()
		open := c.pollCancel != nil
		c.mu.Unlock()
		if open {
			return true
		}
	}
	return false
}

func (s *Server) byTokenSnapshot() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.byToken))
	for _, c := range s.byToken {
		out = append(out, c)
	}
	return out
}

func TestServerSentEvents(t *testing.T) {
	up := newUpstream(t, nil)
	s := newTestServer(t, &Options{Upstream: up.templates()})
	c := newHTTPClientConn(t, s, "chat")
	c.protocol = hubproto.JSON

	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"&access_token="+c.tok, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache,no-store", resp.Header.Get("Cache-Control"))
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, ":\r\n", line, "an initial comment opens the stream")

	readEvent := func() string {
		var data []string
		for {
			l, err := rd.ReadString('\n')
			require.NoError(t, err)
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				return strings.Join(data, "\n")
			}
			require.True(t, strings.HasPrefix(l, "data: "), l)
			data = append(data, strings.TrimPrefix(l, "data: "))
		}
	}

	status, _ := c.do(http.MethodPost, "", hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: "json", Version: 1}), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "{}\x1e", readEvent())
	up.next(t, "connected")

	res := rest(t, s, http.MethodPost, "/api/hubs/chat/users/lp-user/:send", map[string]any{"target": "hello", "arguments": []any{"multi\nline"}})
	require.Equal(t, http.StatusAccepted, res.status)
	m, _, err := hubproto.JSON.ParseFrame([]byte(readEvent()))
	require.NoError(t, err)
	assert.Equal(t, "hello", m.Target)

	c.post(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "fromSSE"})
	r := up.next(t, "fromSSE")
	assert.NotContains(t, r.header.Get("X-ASRS-Client-Query"), "access_token")

	// Closing the stream ends the connection.
	cancel()
	up.next(t, "disconnected")
	eventually(t, "removed", func() bool { return len(s.Connections("chat")) == 0 })
}

func TestServerSentEventsRejectsMessagePack(t *testing.T) {
	s := newTestServer(t, nil)
	c := newHTTPClientConn(t, s, "chat")
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+c.tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	status, _ := c.do(http.MethodPost, "", hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: "messagepack", Version: 1}), nil)
	require.Equal(t, http.StatusOK, status)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(b), "Cannot use the 'messagepack' protocol on the current transport 'ServerSentEvents'")
}

func TestSSEEventFormat(t *testing.T) {
	assert.Equal(t, "data: a\r\ndata: b\r\n\r\n", string(appendSSEEvent(nil, []byte("a\r\nb"))))
	assert.Equal(t, "data: {}\x1e\r\n\r\n", string(appendSSEEvent(nil, []byte("{}\x1e"))))
}

func TestClientQuery(t *testing.T) {
	cases := map[string]string{
		"hub=chat&id=x&access_token=secret": "?hub=chat&id=x",
		"access_token=a&hub=c":              "?hub=c",
		"":                                  "?",
		"hub=a%20b&x=&access_token":         "?hub=a%20b&x=",
	}
	for in, want := range cases {
		assert.Equal(t, want, clientQuery(in), in)
	}
}

func TestLongPollingClientGoneIsDropped(t *testing.T) {
	s := newTestServer(t, &Options{ClientTimeout: 100 * time.Millisecond, KeepAliveInterval: 10 * time.Millisecond})
	c := newHTTPClientConn(t, s, "chat")
	c.protocol = hubproto.JSON
	c.do(http.MethodGet, "", nil, nil)
	c.do(http.MethodPost, "", hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: "json", Version: 1}), nil)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
	eventually(t, "dropped without polls", func() bool { return len(s.Connections("chat")) == 0 })
}

// With negotiate v0 the connection id is the connection token, and ids are no secret: a
// request carrying another user's token must not poll, send on, end or take over the
// connection; the owner's requests go on working.
func TestConnectionBelongsToItsNegotiatingUser(t *testing.T) {
	for _, version := range []string{"0", "1"} {
		t.Run("negotiateVersion="+version, func(t *testing.T) {
			s := newTestServer(t, nil)
			tok := clientToken(t, s, "chat", "alice")
			status, nr, body := negotiate(t, s, "hub=chat&negotiateVersion="+version, tok)
			require.Equal(t, http.StatusOK, status, string(body))
			id := nr.ConnectionToken
			if version == "0" {
				require.Empty(t, id)
				id = nr.ConnectionID
			}
			alice := &httpClientConn{t: t, s: s, base: s.URL + "/client/?hub=chat&id=" + id, tok: tok, id: nr.ConnectionID}
			status, _ = alice.do(http.MethodGet, "&_=1", nil, nil)
			require.Equal(t, http.StatusOK, status)
			status, _ = alice.do(http.MethodPost, "", hubproto.AppendHandshakeRequest(nil, hubproto.HandshakeRequest{Protocol: "json", Version: 1}), nil)
			require.Equal(t, http.StatusOK, status)
			status, b := alice.do(http.MethodGet, "&_=2", nil, nil)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "{}\x1e", string(b))

			mallory := &httpClientConn{t: t, s: s, base: alice.base, tok: clientToken(t, s, "chat", "mallory")}
			anonymous := &httpClientConn{t: t, s: s, base: alice.base, tok: clientToken(t, s, "chat", "")}
			frame, err := hubproto.JSON.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeInvocation, Target: "spoof"})
			require.NoError(t, err)
			for _, other := range []*httpClientConn{mallory, anonymous} {
				for _, req := range []struct {
					method string
					body   []byte
					hdr    map[string]string
				}{
					{http.MethodGet, nil, nil},
					{http.MethodGet, nil, map[string]string{"Accept": "text/event-stream"}},
					{http.MethodPost, frame, nil},
					{http.MethodDelete, nil, nil},
				} {
					status, body := other.do(req.method, "&_=x", req.body, req.hdr)
					assert.Equal(t, http.StatusForbidden, status, "%s with another user's token", req.method)
					assert.Contains(t, string(body), "not the user who negotiated this connection")
				}
			}
			// Nor can a WebSocket take the connection over.
			wsURL := "ws" + strings.TrimPrefix(s.URL, "http") + "/client/?hub=chat&id=" + id + "&access_token=" + mallory.tok
			_, resp, err := websocket.Dial(testCtx(t), wsURL, nil)
			require.Error(t, err)
			require.NotNil(t, resp)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode)

			// The owner's connection is intact and still receives.
			require.Len(t, s.Connections("chat"), 1)
			done := make(chan []byte, 1)
			go func() {
				_, b, _ := alice.try(http.MethodGet, "&_=3", nil, nil)
				done <- b
			}()
			require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/users/alice/:send", map[string]any{"target": "still-mine"}).status)
			m, _, err := hubproto.JSON.ParseFrame(<-done)
			require.NoError(t, err)
			assert.Equal(t, "still-mine", m.Target)
		})
	}
}
