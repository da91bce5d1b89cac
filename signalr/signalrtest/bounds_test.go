package signalrtest

// Resource bounds: each test measures what the emulator retains (heap bytes, stack bytes or
// bytes examined) while a client or caller pushes it, and holds it to a bound. None of them is
// parallel, so the heap and stack figures are the test's own.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// liveHeap is the heap in use after two collections, so only reachable memory counts.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// heapGrowth is after-before in bytes, zero when the heap shrank.
func heapGrowth(before, after uint64) uint64 {
	if after < before {
		return 0
	}
	return after - before
}

// 300 rejected requests of 900 KB used to stay in the REST call log in full (10,000 entries
// of any size): the log must keep a bounded number of bytes, newest first.
func TestRESTCallLogKeepsBoundedBytes(t *testing.T) {
	s := NewUnstartedServer(nil)
	t.Cleanup(s.Close)
	s.URL = "http://127.0.0.1"
	h := s.Handler()
	const path = "/api/hubs/chat/groups/%20/:send" // a blank group: 400
	tok := restToken(t, s, "/api/hubs/chat/groups/ /:send")
	body := bytes.Repeat([]byte("x"), 900<<10)

	before := liveHeap()
	for range 300 {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusBadRequest, w.Code)
	}
	grown := heapGrowth(before, liveHeap())
	t.Logf("heap grew by %.1f MiB after 300 rejected 900 KB requests", mib(grown))

	calls := s.RESTCalls()
	require.NotEmpty(t, calls)
	var kept int
	for _, c := range calls {
		kept += len(c.Body) + len(c.Path) + len(c.Query)
	}
	t.Logf("the log kept %d calls, %.1f MiB", len(calls), mib(uint64(kept)))
	assert.LessOrEqual(t, kept, maxLogBytes+maxRESTBody, "the log keeps at most its byte budget plus the newest call")
	assert.Less(t, grown, uint64(2*maxLogBytes+8<<20), "retained heap stays near the log's byte budget")
	last := calls[len(calls)-1]
	assert.Equal(t, http.StatusBadRequest, last.Status)
	assert.Len(t, last.Body, len(body), "the newest call is kept whole")
}

// The upstream call log is bounded the same way: large invocations must not all stay in it.
func TestUpstreamCallLogKeepsBoundedBytes(t *testing.T) {
	s := NewUnstartedServer(nil)
	t.Cleanup(s.Close)
	before := liveHeap()
	for i := range 80 {
		s.recordUpstream(UpstreamCall{Event: "big", ConnectionID: strconv.Itoa(i), Status: http.StatusOK,
			Header: http.Header{"X-Asrs-Event": {"big"}}, Body: bytes.Repeat([]byte("y"), 512<<10)})
	}
	grown := heapGrowth(before, liveHeap())
	calls := s.UpstreamCalls()
	var kept int
	for _, call := range calls {
		kept += len(call.Body)
	}
	t.Logf("upstream log kept %d calls, %.1f MiB; heap grew by %.1f MiB after 80 × 512 KiB invocations", len(calls), mib(uint64(kept)), mib(grown))
	assert.LessOrEqual(t, kept, maxLogBytes)
	assert.Less(t, grown, uint64(maxLogBytes+8<<20))
	require.NotEmpty(t, calls)
	assert.Equal(t, "79", calls[len(calls)-1].ConnectionID, "the newest call is kept")
}

// A client that keeps invoking while the upstream is slow used to queue every invocation in
// memory (1,200 × 256 KB → +310 MB). The queue is bounded; overflowing it closes that
// connection with a reason saying so.
func TestUpstreamQueueIsBounded(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	up := newUpstream(t, func(w http.ResponseWriter, r recordedReq) {
		if r.header.Get("X-ASRS-Category") == "messages" {
			<-release
		}
	})
	t.Cleanup(free) // before the server closes (cleanups run last first), so it can finish
	s := newTestServer(t, &Options{Upstream: up.templates()})
	c := connectWS(t, s, "chat", "alice", hubproto.MessagePack)
	up.next(t, "connected")

	s.mu.Lock()
	sc := s.hubs["chat"].conns[c.id]
	s.mu.Unlock()
	require.NotNil(t, sc)

	frame, err := hubproto.MessagePack.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeInvocation, Target: "slow",
		Arguments: []hubproto.Value{hubproto.ValueOf(strings.Repeat("z", 256<<10))}})
	require.NoError(t, err)

	// The frames go straight to the server's side of the connection, as its WebSocket reader
	// would hand them over; the race detector makes a real socket too slow for 300 MB.
	before := liveHeap()
	peak, sent := 0, 0
	for ; sent < 1200; sent++ {
		sc.mu.Lock()
		open := sc.state == stateOpen
		sc.mu.Unlock()
		if !open {
			break
		}
		sc.receive(frame)
		q, _ := s.upstreamQueued("chat", c.id)
		peak = max(peak, q)
	}
	cl := c.readType(hubproto.TypeClose)
	grown := heapGrowth(before, liveHeap())
	t.Logf("sent %d × 256 KiB invocations to a stalled upstream: %.1f MiB queued at most, heap grew by %.1f MiB", sent, mib(uint64(peak)), mib(grown))
	assert.Less(t, sent, 1200, "the server stops taking invocations")
	assert.LessOrEqual(t, peak, maxUpstreamQueue)
	assert.Less(t, grown, uint64(maxUpstreamQueue+32<<20), "queued invocations stay within the queue's byte budget")
	assert.Contains(t, cl.Error, "queued for the upstream")
	assert.False(t, cl.AllowReconnect)
	free()
}

// An unterminated JSON record arriving in small frames used to be rescanned from its start on
// every frame (12 MB took 22 s): the bytes examined must grow linearly with the input, and
// the record is refused once it passes the size limit.
func TestJSONRecordScanningIsLinear(t *testing.T) {
	s := NewUnstartedServer(nil)
	t.Cleanup(s.Close)
	c := s.newConn("chat", identity{userID: "u"}, "", false)
	c.mu.Lock()
	c.attachLocked(transportLongPolling)
	c.proto = hubproto.JSON
	c.state = stateOpen
	c.mu.Unlock()

	const chunk = 1 << 10
	const total = 12 << 20
	data := bytes.Repeat([]byte{'a'}, chunk)
	start := time.Now()
	for n := 0; n < total; n += chunk {
		c.receive(data)
	}
	elapsed := time.Since(start)
	c.inMu.Lock()
	work := c.inWork
	c.inMu.Unlock()
	t.Logf("12 MiB unterminated in 1 KiB frames: %d bytes examined or moved (%.2f× the input), %v", work, float64(work)/total, elapsed)
	assert.LessOrEqual(t, work, int64(3*total), "each input byte is examined a bounded number of times")

	// The record is still open; it may grow to the size limit and not beyond.
	for n := total; n <= maxInput; n += chunk {
		c.receive(data)
	}
	c.mu.Lock()
	state, closeErr := c.state, c.closeErr
	c.mu.Unlock()
	assert.NotEqual(t, stateOpen, state, "a record larger than the limit closes the connection")
	assert.Contains(t, closeErr, "too large")
}

// A filter of a megabyte of "(" used to recurse once per parenthesis (512 MB of stack):
// nesting is limited and refused with a clear error.
func TestExecuteFilterNestingIsLimited(t *testing.T) {
	for _, tc := range []struct {
		name, filter string
	}{
		{"parentheses", strings.Repeat("(", 1<<20) + "userId eq 'a'" + strings.Repeat(")", 1<<20)},
		{"not", strings.Repeat("not ", 256<<10) + "userId eq 'a'"},
		{"function calls", strings.Repeat("tolower(", 128<<10) + "userId" + strings.Repeat(")", 128<<10) + " eq 'a'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				err   error
				stack uint64
			}
			done := make(chan result)
			go func() {
				// Stacks grow by copying and shrink only during a collection, so the stack in
				// use right after parsing is its high-water mark.
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				before := m.StackInuse
				_, err := parseFilter(tc.filter)
				runtime.ReadMemStats(&m)
				done <- result{err, heapGrowth(before, m.StackInuse)}
			}()
			r := <-done
			t.Logf("%d-byte filter: stack grew by %.2f MiB", len(tc.filter), mib(r.stack))
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), "nested")
			assert.Contains(t, r.err.Error(), "100")
			assert.Less(t, r.stack, uint64(1<<20), "parsing stays within a small stack")
		})
	}

	s := newTestServer(t, nil)
	deep := strings.Repeat("(", 200) + "userId eq 'a'" + strings.Repeat(")", 200)
	res := rest(t, s, http.MethodPost, "/api/hubs/chat/:execute?filter="+url.QueryEscape(deep), []map[string]any{{"type": "CloseConnection"}})
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Contains(t, string(res.body), "nested more than 100 levels")

	ok := strings.Repeat("(", 50) + "userId eq 'a'" + strings.Repeat(")", 50)
	res = rest(t, s, http.MethodPost, "/api/hubs/chat/:execute?filter="+url.QueryEscape(ok), []map[string]any{{"type": "CloseConnection"}})
	assert.Equal(t, http.StatusAccepted, res.status, string(res.body))
}
