package signalrtest_test

// The emulator under load: 10,000 idle WebSocket connections (memory per connection and the
// time one REST broadcast takes to reach all of them), and REST SendToAll throughput to 100
// connections as a benchmark next to a floor of raw net/http + WebSocket fan-out.
//
// The load test is opt-in: SIGNALRTEST_LOAD=1 go test -run TestLoad -v ./signalr/signalrtest
// (never with -short). The emulator runs in a child process (this test binary re-executed) so
// its memory is measured alone, without the 10,000 client connections of the test itself.
// SIGNALRTEST_LOAD_CONNS changes the connection count; SIGNALRTEST_LOAD_CPUPROFILE=file writes
// a CPU profile of the emulator process (go tool pprof file).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

const (
	loadEnv       = "SIGNALRTEST_LOAD"            // "1" runs TestLoad
	loadServerEnv = "SIGNALRTEST_LOAD_SERVER"     // set in the child process that hosts the emulator
	loadConnsEnv  = "SIGNALRTEST_LOAD_CONNS"      // connection count, default 10000
	loadCPUEnv    = "SIGNALRTEST_LOAD_CPUPROFILE" // file for a CPU profile of the emulator process
	loadHub       = "load"
)

// raiseFileLimit lifts the soft descriptor limit to the hard one: 10,000 sockets exceed the
// usual default of 1024.
func raiseFileLimit(t testing.TB, need uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Logf("setrlimit: %v", err)
		}
	}
	if lim.Cur < need {
		t.Skipf("the descriptor limit is %d, below the %d this test needs; raise ulimit -n", lim.Cur, need)
	}
}

// memSample is what the child reports: the live heap and goroutine stacks after a full GC.
type memSample struct {
	HeapInuse  uint64
	StackInuse uint64
	Sys        uint64
	Goroutines int
	Conns      int
}

func (m memSample) live() uint64 { return m.HeapInuse + m.StackInuse }

// TestLoadServerProcess is the child: it hosts the emulator and answers "mem" and "quit" on
// stdin. It does nothing in a normal test run.
func TestLoadServerProcess(t *testing.T) {
	if os.Getenv(loadServerEnv) != "1" {
		t.Skip("runs only as the emulator process of TestLoad")
	}
	raiseFileLimit(t, 10_500)
	if path := os.Getenv(loadCPUEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	srv := signalrtest.NewServer(nil) // the service's defaults: 15 s keep-alive, 30 s client timeout
	defer srv.Close()
	fmt.Printf("CS %s\n", srv.ConnectionString())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		switch sc.Text() {
		case "mem":
			runtime.GC()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b, _ := json.Marshal(memSample{ms.HeapInuse, ms.StackInuse, ms.Sys, runtime.NumGoroutine(), len(srv.Connections(loadHub))})
			fmt.Printf("MEM %s\n", b)
		case "quit":
			return
		}
	}
}

// loadServer is the child process as seen from the test.
type loadServer struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	cs    string
}

func startLoadServer(t *testing.T) *loadServer {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadServerProcess$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), loadServerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &loadServer{cmd: cmd, in: in, lines: make(chan string, 16)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_, _ = io.WriteString(in, "quit\n")
		_ = in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	s.cs = strings.TrimPrefix(s.expect(t, "CS "), "CS ")
	return s
}

func (s *loadServer) expect(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("the emulator process exited while waiting for %q", prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("the emulator process did not print %q", prefix)
		}
	}
}

func (s *loadServer) mem(t *testing.T) memSample {
	t.Helper()
	_, err := io.WriteString(s.in, "mem\n")
	require.NoError(t, err)
	var m memSample
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(s.expect(t, "MEM "), "MEM ")), &m))
	return m
}

// wsClient is one minimal JSON-protocol client: negotiate, WebSocket, handshake, then a reader
// that reports every invocation to onMessage.
type wsClient struct {
	conn *websocket.Conn
}

var jsonHandshake = []byte("{\"protocol\":\"json\",\"version\":1}\x1e")

// dialClient connects one client to the emulator at base (http://host:port) with token.
func dialClient(ctx context.Context, hc *http.Client, base, hub, token string) (*wsClient, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/client/negotiate?hub="+hub+"&negotiateVersion=1", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	var neg struct {
		ConnectionToken string `json:"connectionToken"`
	}
	err = json.NewDecoder(resp.Body).Decode(&neg)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("negotiate: status %d, %v", resp.StatusCode, err)
	}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/client/?hub=" + hub + "&id=" + neg.ConnectionToken
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPClient: hc,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		return nil, err
	}
	if err := c.Write(ctx, websocket.MessageText, jsonHandshake); err != nil {
		c.CloseNow()
		return nil, err
	}
	_, data, err := c.Read(ctx)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte("{}\x1e")) {
		c.CloseNow()
		return nil, fmt.Errorf("handshake response %q", data)
	}
	return &wsClient{conn: c}, nil
}

// readLoop calls onInvocation for every record of a frame that is an Invocation.
func (w *wsClient) readLoop(ctx context.Context, onInvocation func()) {
	for {
		_, data, err := w.conn.Read(ctx)
		if err != nil {
			return
		}
		for rec := range bytes.SplitSeq(data, []byte{0x1e}) {
			if bytes.HasPrefix(rec, []byte(`{"type":1,`)) {
				onInvocation()
			}
		}
	}
}

var pingRecord = []byte("{\"type\":6}\x1e")

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// TestLoad holds 10,000 WebSocket connections to one emulator and reports memory per idle
// connection and broadcast latency. Figures go to the test log (-v) and BENCHMARKS.md.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	if os.Getenv(loadEnv) != "1" {
		t.Skip("load test: set " + loadEnv + "=1 to run it (about a minute, 10,000 sockets)")
	}
	n := 10_000
	if v := os.Getenv(loadConnsEnv); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, loadConnsEnv)
	}
	raiseFileLimit(t, uint64(n)+500)
	srv := startLoadServer(t)
	client, err := signalr.NewClientFromConnectionString(srv.cs, nil)
	require.NoError(t, err)
	base := client.Endpoints()[0].Endpoint // Endpoint with Port: where REST calls go
	token := signToken(t, tokenClaims(loadHub, "load-user", time.Now()), signalrtest.DefaultAccessKey)

	before := srv.mem(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	// Broadcast bookkeeping: each reader stores its receive time for the current round.
	var (
		round    atomic.Int64
		received atomic.Int64
		start    atomic.Int64 // unix nanos of the current REST call
		lat      = make([]atomic.Int64, n)
		allIn    = make(chan struct{}, 1)
	)
	clients := make([]*wsClient, n)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	dialStart := time.Now()
	var dialErr atomic.Value
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
				c, err := dialClient(dctx, hc, base, loadHub, token)
				dcancel()
				if err != nil {
					dialErr.Store(fmt.Errorf("connection %d: %w", i, err))
					return
				}
				clients[i] = c
				go c.readLoop(ctx, func() {
					if round.Load() == 0 {
						return
					}
					lat[i].Store(time.Now().UnixNano() - start.Load())
					if received.Add(1) == int64(n) {
						allIn <- struct{}{}
					}
				})
			}
		})
	}
	wg.Wait()
	if err, _ := dialErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	dialTime := time.Since(dialStart)
	defer func() {
		for _, c := range clients {
			c.conn.CloseNow()
		}
	}()

	// The emulator keeps a connection only while it hears from it: ping like the JS client.
	go func() {
		tick := time.NewTicker(10 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				for _, c := range clients {
					_ = c.conn.Write(ctx, websocket.MessageText, pingRecord)
				}
			}
		}
	}()

	time.Sleep(2 * time.Second) // let connection setup garbage become collectable
	idle := srv.mem(t)
	require.Equal(t, n, idle.Conns, "every connection is registered")
	perConn := float64(int64(idle.live())-int64(before.live())) / float64(n)
	t.Logf("connected %d WebSockets in %v (%.0f/s)", n, dialTime.Round(time.Millisecond), float64(n)/dialTime.Seconds())
	t.Logf("emulator memory: before %d KiB live (heap+stacks), with %d idle connections %d KiB live, %d goroutines, Sys %d MiB",
		before.live()>>10, n, idle.live()>>10, idle.Goroutines, idle.Sys>>20)
	t.Logf("memory per idle connection: %.1f KiB (target ≤ 16 KiB)", perConn/1024)

	const rounds = 5
	var all []time.Duration
	for r := 1; r <= rounds; r++ {
		received.Store(0)
		round.Store(int64(r))
		start.Store(time.Now().UnixNano())
		_, err := hubOf(t, client, loadHub).SendToAll(ctx, signalr.Message{Target: "bcast", Arguments: []any{r}}, nil)
		require.NoError(t, err)
		restDone := time.Duration(time.Now().UnixNano() - start.Load())
		select {
		case <-allIn:
		case <-time.After(60 * time.Second):
			t.Fatalf("round %d: %d of %d connections got the broadcast within 60s", r, received.Load(), n)
		}
		ds := make([]time.Duration, n)
		for i := range lat {
			ds[i] = time.Duration(lat[i].Load())
		}
		slices.Sort(ds)
		all = append(all, ds...)
		t.Logf("broadcast %d: REST call %v; reached all %d: p50 %v, p99 %v, max %v", r, restDone.Round(time.Microsecond), n,
			percentile(ds, 0.50).Round(time.Microsecond), percentile(ds, 0.99).Round(time.Microsecond), ds[n-1].Round(time.Microsecond))
		round.Store(0)
		time.Sleep(500 * time.Millisecond)
	}
	slices.Sort(all)
	t.Logf("broadcast to %d connections over %d rounds: p50 %v, p99 %v (target ≤ 250ms), max %v", n, rounds,
		percentile(all, 0.50).Round(time.Microsecond), percentile(all, 0.99).Round(time.Microsecond), all[len(all)-1].Round(time.Microsecond))
	after := srv.mem(t)
	require.Equal(t, n, after.Conns, "no connection dropped during the test")
}

// fanout measures delivered messages per second: b.N REST sends, each reaching every one of
// the clients, ended when the last copy arrives.
func fanout(b *testing.B, conns int, dial func(ctx context.Context) (*wsClient, error), send func(ctx context.Context, i int) error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got atomic.Int64
	want := atomic.Int64{}
	done := make(chan struct{}, 1)
	for range conns {
		c, err := dial(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer c.conn.CloseNow()
		go c.readLoop(ctx, func() {
			if got.Add(1) == want.Load() {
				done <- struct{}{}
			}
		})
	}
	want.Store(int64(b.N * conns))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := send(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatalf("%d of %d messages delivered", got.Load(), want.Load())
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*conns)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendToAll100 is REST SendToAll through the signalr client to 100 WebSocket
// connections of the emulator; msgs/s counts delivered copies.
func BenchmarkSendToAll100(b *testing.B) {
	srv := signalrtest.NewServer(nil)
	defer srv.Close()
	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
	if err != nil {
		b.Fatal(err)
	}
	hub := hubOf(b, client, "bench")
	token := signToken(b, tokenClaims("bench", "u", time.Now()), signalrtest.DefaultAccessKey)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	msg := signalr.Message{Target: "tick", Arguments: []any{"a short chat message", 42}}
	fanout(b, 100,
		func(ctx context.Context) (*wsClient, error) { return dialClient(ctx, hc, srv.URL, "bench", token) },
		func(ctx context.Context, _ int) error { _, err := hub.SendToAll(ctx, msg, nil); return err })
}

// BenchmarkSendToAll100Floor is the floor for BenchmarkSendToAll100: a bare net/http POST
// whose handler writes the same invocation bytes to 100 coder/websocket connections, with no
// auth, routing, protocol conversion or bookkeeping.
func BenchmarkSendToAll100Floor(b *testing.B) {
	var mu sync.Mutex
	var conns []*websocket.Conn
	frame := []byte("{\"type\":1,\"target\":\"tick\",\"arguments\":[\"a short chat message\",42]}\x1e")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_, _, _ = c.Read(r.Context()) // the handshake
		// Registered before the handshake answer, so a client that saw it gets every send.
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		_ = c.Write(r.Context(), websocket.MessageText, []byte("{}\x1e"))
		<-r.Context().Done()
	})
	mux.HandleFunc("POST /send", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		targets := slices.Clone(conns)
		mu.Unlock()
		for _, c := range targets {
			_ = c.Write(r.Context(), websocket.MessageText, frame)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer srv.CloseClientConnections()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	body := []byte(`{"target":"tick","arguments":["a short chat message",42]}`)
	fanout(b, 100,
		func(ctx context.Context) (*wsClient, error) {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPClient: hc})
			if err != nil {
				return nil, err
			}
			if err := c.Write(ctx, websocket.MessageText, jsonHandshake); err != nil {
				return nil, err
			}
			if _, _, err := c.Read(ctx); err != nil {
				return nil, err
			}
			return &wsClient{conn: c}, nil
		},
		func(ctx context.Context, _ int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/send", bytes.NewReader(body))
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		})
}
