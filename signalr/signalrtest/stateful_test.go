package signalrtest

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestStatefulReconnectReplays(t *testing.T) {
	for _, p := range bothProtocols {
		t.Run(p.Name(), func(t *testing.T) {
			var echoes atomic.Int32
			up := newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
				if r.header.Get("X-ASRS-Event") == "echo" {
					echoes.Add(1)
				}
			})
			s := newTestServer(t, &Options{Upstream: up.templates()})
			c := dialWS(t, s, "chat", "u", true)
			c.handshake(p, 2)
			eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
			require.True(t, s.Connections("chat")[0].Stateful)

			send := func(target string) {
				require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/connections/"+c.id+"/:send", map[string]any{"target": target}).status)
			}
			send("m1")
			send("m2")
			assert.Equal(t, "m1", c.read(false).Target)
			assert.Equal(t, "m2", c.read(false).Target)
			c.send(&hubproto.Message{Type: hubproto.TypeAck, SequenceID: 1})

			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "echo"})
			ack := c.readType(hubproto.TypeAck)
			assert.Equal(t, int64(1), ack.SequenceID, "the server acknowledges what it received")
			up.next(t, "echo")

			require.NoError(t, c.ws.CloseNow())
			eventually(t, "detached", func() bool {
				cs := s.byTokenSnapshot()
				if len(cs) != 1 {
					return false
				}
				cs[0].mu.Lock()
				defer cs[0].mu.Unlock()
				return cs[0].ws == nil
			})
			send("m3") // queued while no socket is attached

			c.buf = nil
			c.ws = c.open(s, "chat", clientToken(t, s, "chat", "u"))
			seq := c.read(false)
			require.Equal(t, hubproto.TypeSequence, seq.Type)
			assert.Equal(t, int64(2), seq.SequenceID, "replay starts after the last ack")
			assert.Equal(t, "m2", c.read(false).Target)
			assert.Equal(t, "m3", c.read(false).Target)

			// The client resends its unacknowledged invocation: the server drops the duplicate.
			c.send(&hubproto.Message{Type: hubproto.TypeSequence, SequenceID: 1})
			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "echo"})
			c.send(&hubproto.Message{Type: hubproto.TypeInvocation, Target: "echo2"})
			up.next(t, "echo2")
			assert.Equal(t, int32(1), echoes.Load())
			assert.Len(t, s.Connections("chat"), 1, "the connection survived")
			for _, call := range s.UpstreamCalls() {
				assert.NotEqual(t, "disconnected", call.Event)
			}
		})
	}
}

func TestStatefulNeedsVersion2AndWebSockets(t *testing.T) {
	s := newTestServer(t, nil)
	c := dialWS(t, s, "chat", "", true)
	c.handshake(hubproto.JSON, 1)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 1 })
	assert.False(t, s.Connections("chat")[0].Stateful)
}

func TestStatefulReconnectGraceExpires(t *testing.T) {
	up := newUpstream(t, nil)
	s := newTestServer(t, &Options{Upstream: up.templates(), ClientTimeout: 200 * time.Millisecond, KeepAliveInterval: 20 * time.Millisecond})
	c := dialWS(t, s, "chat", "", true)
	c.handshake(hubproto.JSON, 2)
	up.next(t, "connected")
	require.NoError(t, c.ws.CloseNow())
	r := up.next(t, "disconnected")
	assert.Contains(t, string(r.body), "did not reconnect")
}

func TestCloseLeaksNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	up := newUpstream(t, nil)
	s := NewServer(&Options{Upstream: up.templates()})
	for _, p := range bothProtocols {
		connectWS(t, s, "chat", "", p)
	}
	lp := newHTTPClientConn(t, s, "chat")
	lp.do(http.MethodGet, "", nil, nil)
	polled := make(chan int, 1)
	go func() {
		st, _, _ := lp.try(http.MethodGet, "&_=1", nil, nil)
		polled <- st
	}()
	eventually(t, "poll open", lp.pollOpen)
	require.Equal(t, http.StatusAccepted, rest(t, s, http.MethodPost, "/api/hubs/chat/:send", map[string]any{"target": "x"}).status)
	s.Close()
	s.Close() // idempotent
	assert.Equal(t, http.StatusOK, <-polled, "the open poll gets its data before the server goes")
	http.DefaultClient.CloseIdleConnections()
	eventually(t, "goroutines back to the baseline", func() bool { return runtime.NumGoroutine() <= before+2 }) // +2: the upstream test server
}
