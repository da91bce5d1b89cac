package signalrtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// traceProbeInterval paces the latency probe of BenchmarkTraceUnderLoad: each probe records
// two events, so 100 probes a second and traceLoad make 1,000 events a second.
const traceProbeInterval = 10 * time.Millisecond

// traceLoad makes the server record 800 trace events a second until ctx ends: a client sends
// four invocations every 10 ms that no upstream rule matches, each giving an invoke and an
// upstream event. Nothing else (no REST log, no upstream log) grows meanwhile.
func traceLoad(ctx context.Context, b *testing.B, s *Server, large bool) <-chan struct{} {
	c := connectWS(b, s, "load", "loader", hubproto.JSON)
	arg := `{"sender":"loader","text":"a chat message of ordinary length"}`
	if large {
		arg = `{"sender":"loader","text":"` + strings.Repeat("long ", 100) + `"}` // cut to tracePreviewMax
	}
	var batch []byte
	for range 4 {
		batch, _ = hubproto.JSON.AppendFrame(batch, &hubproto.Message{Type: hubproto.TypeInvocation, Target: "tick",
			Arguments: []hubproto.Value{hubproto.JSONValue([]byte(arg))}})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if c.ws.Write(ctx, websocket.MessageText, batch) != nil {
					return
				}
			}
		}
	}()
	return done
}

// invokeRoundTrip sends an invocation no upstream rule matches and waits for the server's
// error Completion. Unlike the wsClient helpers it registers no cleanup per call, so the
// benchmark's heap holds only what the server keeps.
func invokeRoundTrip(ctx context.Context, c *wsClient, id string) error {
	frame, err := hubproto.JSON.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeInvocation, InvocationID: id, Target: "ping"})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return err
	}
	for {
		for len(c.buf) > 0 {
			m, n, err := hubproto.JSON.ParseFrame(c.buf)
			if errors.Is(err, hubproto.ErrIncomplete) {
				break
			}
			if err != nil {
				return err
			}
			c.buf = c.buf[n:]
			if m.Type == hubproto.TypeCompletion {
				if m.InvocationID != id {
					return fmt.Errorf("completion %q for invocation %s", m.InvocationID, id)
				}
				return nil
			}
		}
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return err
		}
		c.buf = append(c.buf, data...)
	}
}

// stalledTraceReader opens /trace/events and never reads it.
func stalledTraceReader(b *testing.B, s *Server) {
	u, err := url.Parse(s.URL)
	if err != nil {
		b.Fatal(err)
	}
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = nc.Close() })
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	if _, err := io.WriteString(nc, "GET /trace/events HTTP/1.1\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		b.Fatal(err)
	}
}

// readingTraceReader opens /trace/events and reads everything.
func readingTraceReader(b *testing.B, s *Server) {
	resp, err := http.Get(s.URL + "/trace/events")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = resp.Body.Close() })
	go func() { _, _ = io.Copy(io.Discard, resp.Body) }()
}

// liveHeapAlloc is the bytes of reachable heap objects after two collections.
func liveHeapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkTraceUnderLoad measures what the trace costs other clients while 1,000 events a
// second are recorded: one op is an invoke() round trip of another client (its invocation
// in, the server's Completion out), one every traceProbeInterval, so ns/op is that interval
// and the p50/p99 metrics are the latency. The floor is the same with the trace disabled.
// With a subscriber that never reads, the live heap must not grow beyond the ring: the
// subscriber is dropped, never waited for. Loopback socket buffers hold several MiB, so a
// stalled subscriber of 300-byte events is still being written to after 10 s; with 1-KiB
// events it is dropped within seconds. The saturated case sends probes back to back (tens
// of thousands of events a second).
//
//	go test -run '^$' -bench TraceUnderLoad -benchtime 1000x ./signalr/signalrtest/   # 10 s each
//
// reports p50/p99 latency, the event rate, the live-heap growth over the run, the ring's
// bytes and how many subscribers were dropped.
func BenchmarkTraceUnderLoad(b *testing.B) {
	cases := []struct {
		name       string
		disable    bool
		subscriber func(*testing.B, *Server)
		saturated  bool // probes back to back instead of every traceProbeInterval
		large      bool // events of about 1 KiB instead of 300 bytes
	}{
		{"floor-trace-disabled", true, nil, false, false},
		{"no-subscriber", false, nil, false, false},
		{"reading-subscriber", false, readingTraceReader, false, false},
		{"stalled-subscriber", false, stalledTraceReader, false, false},
		{"stalled-subscriber-large-events", false, stalledTraceReader, false, true},
		{"stalled-subscriber-saturated", false, stalledTraceReader, true, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s := NewServer(&Options{DisableTrace: tc.disable})
			defer s.Close()
			observer := connectWS(b, s, "chat", "observer", hubproto.JSON)
			if tc.subscriber != nil {
				tc.subscriber(b, s)
				deadline := time.Now().Add(10 * time.Second)
				for s.trace.stats().Subscribers == 0 {
					if time.Now().After(deadline) {
						b.Fatal("the trace subscriber never registered")
					}
					time.Sleep(time.Millisecond)
				}
			}
			heapBefore := liveHeapAlloc()
			var seqBefore uint64
			if s.trace != nil {
				seqBefore = s.trace.stats().Seq
			}
			ctx, cancel := context.WithCancel(context.Background())
			loaded := traceLoad(ctx, b, s, tc.large)
			start := time.Now()

			samples := make([]time.Duration, 0, 1<<16)
			i := 0
			next := time.Now()
			b.ResetTimer()
			for b.Loop() {
				if !tc.saturated {
					next = next.Add(traceProbeInterval)
					time.Sleep(time.Until(next)) // pacing, not waiting for a result
				}
				i++
				t0 := time.Now()
				if err := invokeRoundTrip(ctx, observer, strconv.Itoa(i)); err != nil {
					b.Fatal(err)
				}
				samples = append(samples, time.Since(t0))
			}
			b.StopTimer()
			elapsed := time.Since(start)
			cancel()
			<-loaded

			slices.Sort(samples)
			pct := func(p float64) float64 { return float64(samples[int(p*float64(len(samples)-1))].Microseconds()) }
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			growth := int64(liveHeapAlloc()) - int64(heapBefore)
			b.ReportMetric(float64(growth)/1024, "heap-growth-KiB")
			if s.trace == nil {
				return
			}
			st := s.trace.stats()
			b.ReportMetric(float64(st.Seq-seqBefore)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(st.Bytes)/1024, "ring-KiB")
			b.ReportMetric(float64(st.Dropped), "dropped")
			// The ring, its record headers and one batch per subscriber: nothing grows with time.
			if limit := int64(st.Bytes) + traceRingSize*256 + 2<<20; growth > limit {
				b.Errorf("the live heap grew by %d KiB; expected at most the ring's %d KiB plus %d KiB", growth>>10, st.Bytes>>10, (limit-int64(st.Bytes))>>10)
			}
		})
	}
}

// BenchmarkTraceEmit is the cost of recording one typical event (an invocation with a short
// argument) with no subscriber, and with eight subscribers whose queues are drained. The
// floor is encoding the same event with encoding/json alone.
func BenchmarkTraceEmit(b *testing.B) {
	ev := func() *traceEvent {
		return &traceEvent{kind: traceInvoke, Hub: "chat", ConnectionID: "k2p8Xw2mQpC1tXv7c1d2eA", UserID: "alice",
			Target: "sendMessage", InvocationID: "12", Arguments: `[{"sender":"alice","text":"a chat message of ordinary length"}]`}
	}
	b.Run("floor-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(ev()); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, subs := range []int{0, 8} {
		b.Run(strconv.Itoa(subs)+"-subscribers", func(b *testing.B) {
			s := NewUnstartedServer(nil)
			defer s.Close()
			var all []*traceSub
			for range subs {
				sub, _, _, err := s.trace.subscribe(traceFilter{}, 0)
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, sub)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.trace.emit(ev())
				for _, sub := range all {
					<-sub.ch
				}
			}
		})
	}
}
