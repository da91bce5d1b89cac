package signalrtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAccessKey is the well-known key of Microsoft's emulator, so samples
// written for it work unchanged.
const DefaultAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// Defaults of the service (and ASP.NET SignalR), named in the Options fields' docs.
const (
	defaultKeepAliveInterval = 15 * time.Second
	defaultClientTimeout     = 30 * time.Second
	defaultHandshakeTimeout  = 15 * time.Second
	defaultUpstreamTimeout   = 100 * time.Second
)

// Options configures a Server. The zero value, and a nil *Options, give the
// service's defaults.
type Options struct {
	// AccessKey is the primary key; DefaultAccessKey when empty.
	AccessKey string
	// SecondaryAccessKey, when set, is accepted for tokens and adds a second
	// entry to upstream signatures.
	SecondaryAccessKey string

	// Upstream lists the upstream rules; the first match wins. Events that
	// match none are dropped, as by the service.
	Upstream []UpstreamTemplate
	// UpstreamTimeout bounds one upstream request; 100 s when zero.
	UpstreamTimeout time.Duration
	// UpstreamClient sends upstream requests; a private client when nil.
	UpstreamClient *http.Client

	// KeepAliveInterval is how long a connection may go without output before
	// the server sends a Ping (15 s when zero); ClientTimeout how long without
	// input before the server drops it (30 s); HandshakeTimeout how long it
	// waits for the handshake (15 s). These are the service's defaults.
	KeepAliveInterval time.Duration
	ClientTimeout     time.Duration
	HandshakeTimeout  time.Duration

	// TokenValidator accepts Microsoft Entra bearer tokens on the REST API and on
	// /api/v1/auth/accessKey. A nil error means the token is valid. Access-key
	// tokens are checked first and never reach it.
	TokenValidator func(ctx context.Context, token string) error

	// Now is the clock for token lifetimes, negotiate expiry and user-group
	// TTLs; time.Now when nil. Keep-alive and timeouts use real time.
	Now func() time.Time

	// StrictAzure drops, like Azure, invocations no upstream rule matches and
	// every stream invocation. By default the server answers them with an error
	// Completion so a client's invoke() or stream() never hangs.
	StrictAzure bool

	// MaxConnections caps concurrent client connections; above it negotiate
	// answers 429. Zero means no limit.
	MaxConnections int

	// Logger receives diagnostics; nothing is logged when nil.
	Logger *slog.Logger

	// DisableTrace turns off the live trace served at /trace/. It is on by default, as
	// the server is a development tool; its memory is bounded either way.
	DisableTrace bool
}

// Server is an in-process Azure SignalR Service: the data-plane REST API, the
// client endpoints (negotiate, WebSockets, Server-Sent Events, long polling) and
// upstream delivery. It is safe for concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:port", once started.
	URL string

	opts     Options
	keys     []string
	log      *slog.Logger
	handler  http.Handler
	upstream *http.Client

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // every goroutine the server starts
	lifeMu   sync.RWMutex
	stopping bool // guarded by lifeMu: Close has begun

	httpSrv  *http.Server
	listener net.Listener

	tokMu  sync.Mutex
	tokens map[string]*validatedToken // verified tokens by their text

	rules atomic.Pointer[[]UpstreamTemplate] // replaced whole by SetUpstream

	mu      sync.Mutex
	hubs    map[string]*hub
	byToken map[string]*conn // connection token -> connection, negotiated or live
	// lastSweep is when negotiations that were never used were last forgotten; sweeping at
	// most once a second keeps connecting n clients O(n) instead of O(n²).
	lastSweep time.Time
	tempKeys  map[string]tempKey
	seq       uint64
	// authWatch holds the open connections whose token asked to close them when
	// its authentication expires; authScanning says the scan goroutine runs.
	authWatch    map[*conn]struct{}
	authScanning bool
	restCalls    callLog[RESTCall]
	upCalls      callLog[UpstreamCall]
	closed       bool
	started      bool

	trace *tracer // nil when Options.DisableTrace
}

// NewServer starts a server on a random loopback port. Close it when done.
func NewServer(opts *Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a server that is not listening yet; call Start or
// StartOn. Its Handler works without starting it.
func NewUnstartedServer(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.AccessKey == "" {
		o.AccessKey = DefaultAccessKey
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = defaultUpstreamTimeout
	}
	if o.KeepAliveInterval <= 0 {
		o.KeepAliveInterval = defaultKeepAliveInterval
	}
	if o.ClientTimeout <= 0 {
		o.ClientTimeout = defaultClientTimeout
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = defaultHandshakeTimeout
	}
	o.Upstream = append([]UpstreamTemplate(nil), o.Upstream...)
	s := &Server{
		opts:     o,
		keys:     []string{o.AccessKey},
		log:      o.Logger,
		hubs:     map[string]*hub{},
		byToken:  map[string]*conn{},
		tempKeys: map[string]tempKey{},
		tokens:   map[string]*validatedToken{},
	}
	if o.SecondaryAccessKey != "" {
		s.keys = append(s.keys, o.SecondaryAccessKey)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.upstream = o.UpstreamClient
	if s.upstream == nil {
		s.upstream = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // upstreams are local function hosts
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		}}
	}
	s.rules.Store(&o.Upstream)
	s.trace = newTracer(s)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// SetUpstream replaces the upstream rules, for example when a standalone
// emulator reloads its settings.json. Events already queued
// are delivered under the rules current at delivery time.
func (s *Server) SetUpstream(templates []UpstreamTemplate) {
	t := append([]UpstreamTemplate(nil), templates...)
	s.rules.Store(&t)
}

func (s *Server) upstreamRules() []UpstreamTemplate { return *s.rules.Load() }

// Start listens on a random loopback port. It panics if it cannot listen, like
// httptest.Server.Start.
func (s *Server) Start() {
	if err := s.StartOn("127.0.0.1:0"); err != nil {
		panic(fmt.Sprintf("signalrtest: failed to listen on a loopback port: %v", err))
	}
}

// StartOn listens on addr ("host:port"), as the standalone emulator does with
// its -i/-p flags.
func (s *Server) StartOn(addr string) error {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return errors.New("signalrtest: server already started or closed; expected a new server")
	}
	s.started = true
	s.mu.Unlock()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("signalrtest: listen on %q: %w", addr, err)
	}
	s.listener = ln
	host := ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	s.URL = "http://" + host
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.httpSrv.Serve(ln)
	}()
	s.log.Info("signalrtest: listening", "url", s.URL)
	return nil
}

// Close closes every client connection, stops listening and waits for every
// goroutine the server started, including upstream requests in flight.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.byToken))
	for _, c := range s.byToken {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.lifeMu.Lock()
	s.stopping = true // no goroutine starts from now on, so wg.Wait below is final
	s.lifeMu.Unlock()

	s.cancel()
	for _, c := range conns {
		c.abort()
	}
	if s.httpSrv != nil {
		// Let aborted polls and event streams answer before the sockets go.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.httpSrv.Shutdown(ctx)
		cancel()
		_ = s.httpSrv.Close()
	}
	s.wg.Wait()
	if s.opts.UpstreamClient == nil {
		s.upstream.CloseIdleConnections()
	}
}

// ConnectionString returns a connection string for the server, in the form
// Microsoft's emulator prints: Endpoint=http://127.0.0.1;Port=N;AccessKey=…;Version=1.0;
func (s *Server) ConnectionString() string {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" {
		return ""
	}
	return fmt.Sprintf("Endpoint=%s://%s;Port=%s;AccessKey=%s;Version=1.0;", u.Scheme, u.Hostname(), u.Port(), s.keys[0])
}

// AccessKeys returns the primary key and, when configured, the secondary key.
func (s *Server) AccessKeys() []string { return append([]string(nil), s.keys...) }

// Handler returns the whole service as an http.Handler, for mounting in another
// server or for in-process use with httptest.NewRecorder.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// serveHTTP routes a request to the REST API or the client endpoints, on
// the path as Kestrel, the service's web server, hands it to routing: decoded
// and with dot segments removed (see pathSegments).
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveTrace(w, r) { // before CORS: no other origin may read the trace
		return
	}
	if s.cors(w, r) {
		return
	}
	segs, err := pathSegments(r.URL.EscapedPath())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	switch {
	case len(segs) == 2 && segs[0] == "client" && segs[1] == "negotiate":
		s.serveNegotiate(w, r)
	case len(segs) == 1 && segs[0] == "client":
		s.serveClient(w, r)
	case len(segs) > 0 && segs[0] == "api":
		s.serveREST(w, r, segs)
	default:
		http.NotFound(w, r)
	}
}

// pathSegments splits an escaped request path into its decoded segments and
// removes dot segments as Kestrel does: it percent-decodes the path first
// (all but %2F) and then applies RFC 3986 remove_dot_segments, so "%2E%2E"
// is a ".." segment as much as ".." is (aspnetcore
// src/Servers/Kestrel/Core/src/Internal/Http/PathNormalizer.cs, DecodePath).
// POST /api/hubs/chat/users/../:send is therefore a broadcast, as it is for
// the service: an id must never be sent as a segment that decodes to "." or
// "..". A segment holding %2F is not a dot segment, whatever else it holds.
// A trailing slash leaves no empty last segment.
func pathSegments(escaped string) ([]string, error) {
	escaped = strings.TrimPrefix(escaped, "/")
	if escaped == "" {
		return nil, nil
	}
	out := make([]string, 0, strings.Count(escaped, "/")+1)
	for i, p := range strings.Split(escaped, "/") {
		seg, err := url.PathUnescape(p)
		if err != nil {
			return nil, fmt.Errorf("signalrtest: path segment %d is not validly percent-encoded; expected %%XX escapes", i+1)
		}
		switch seg {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	if n := len(out); n > 0 && out[n-1] == "" {
		out = out[:n-1]
	}
	return out, nil
}

// allow writes 405 with an Allow header listing the methods the route takes.
func allow(w http.ResponseWriter, methods ...string) {
	list := strings.Join(methods, ", ")
	w.Header().Set("Allow", list)
	writeError(w, http.StatusMethodNotAllowed, codeInvalidRequest, "this route supports "+list)
}

// cors allows browser pages on any origin, with credentials, as the service
// does. It reports whether the request was a preflight and has been answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD, OPTIONS")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// normHub lowercases a hub name; the service treats hubs case-insensitively.
func normHub(name string) string { return strings.ToLower(name) }

// RESTCall records one request to the REST API.
type RESTCall struct {
	Time      time.Time
	Method    string
	Path      string // unescaped
	Query     string // raw
	Hub       string // normalised, with application prefix; "" for non-hub routes
	Status    int
	ErrorCode string // the x-ms-error-code header, if any
	Body      []byte
}

// UpstreamCall records one upstream request and its outcome.
type UpstreamCall struct {
	Time         time.Time
	URL          string
	Hub          string
	Category     string // "connections" or "messages"
	Event        string
	ConnectionID string
	Header       http.Header
	Body         []byte
	Status       int    // 0 when no response arrived
	Err          string // transport error, if any
}

// Each call log keeps at most maxLog entries and maxLogBytes bytes of bodies,
// paths, queries and headers, newest first; when either fills, the oldest
// entries go until half of both budgets is free, so trimming is amortised
// O(1). The newest entry is always kept, however large.
const (
	maxLog      = 10000
	maxLogBytes = 16 << 20
)

// logEntryOverhead approximates an entry's fixed cost (struct, strings' and
// slices' headers) so that many tiny entries count too.
const logEntryOverhead = 256

// callLog is a bounded log of T.
type callLog[T any] struct {
	entries []T
	sizes   []int
	bytes   int
}

func (l *callLog[T]) add(e T, size int) {
	size += logEntryOverhead
	if len(l.entries) >= maxLog || l.bytes+size > maxLogBytes {
		drop := 0
		for drop < len(l.entries) && (len(l.entries)-drop >= maxLog/2 || l.bytes+size > maxLogBytes/2) {
			l.bytes -= l.sizes[drop]
			drop++
		}
		n := copy(l.entries, l.entries[drop:])
		clear(l.entries[n:]) // release what the dropped entries referenced
		l.entries = l.entries[:n]
		l.sizes = append(l.sizes[:0], l.sizes[drop:]...)
	}
	l.entries = append(l.entries, e)
	l.sizes = append(l.sizes, size)
	l.bytes += size
}

func (l *callLog[T]) snapshot() []T { return append([]T(nil), l.entries...) }

// RESTCalls returns a copy of the REST call log, oldest first. The log keeps
// the latest 10,000 calls or 16 MiB, whichever is less.
func (s *Server) RESTCalls() []RESTCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restCalls.snapshot()
}

// UpstreamCalls returns a copy of the upstream call log, oldest first, bounded
// like the REST call log.
func (s *Server) UpstreamCalls() []UpstreamCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upCalls.snapshot()
}

func (s *Server) recordREST(c RESTCall) {
	size := len(c.Method) + len(c.Path) + len(c.Query) + len(c.Hub) + len(c.ErrorCode) + cap(c.Body)
	s.mu.Lock()
	s.restCalls.add(c, size)
	s.mu.Unlock()
}

func (s *Server) recordUpstream(c UpstreamCall) {
	size := len(c.URL) + len(c.Hub) + len(c.Category) + len(c.Event) + len(c.ConnectionID) + len(c.Err) + cap(c.Body)
	for k, vs := range c.Header {
		size += len(k)
		for _, v := range vs {
			size += len(v)
		}
	}
	s.mu.Lock()
	s.upCalls.add(c, size)
	s.mu.Unlock()
}

// spawn runs f on a goroutine that Close waits for. It refuses once the
// server is closing, so no goroutine starts after Close began waiting.
func (s *Server) spawn(f func()) bool {
	if !s.track() {
		return false
	}
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// track counts the calling goroutine (a long-lived handler) for Close; the
// caller must call s.wg.Done when it returns.
func (s *Server) track() bool {
	s.lifeMu.RLock() // a read lock: broadcasts start many writers at once
	defer s.lifeMu.RUnlock()
	if s.stopping {
		return false
	}
	s.wg.Add(1)
	return true
}

// String describes the server without its access keys.
func (s *Server) String() string {
	if s.URL == "" {
		return "signalrtest.Server(unstarted)"
	}
	return "signalrtest.Server(" + s.URL + ")"
}

// String describes the options with the access keys redacted, so logging
// them never leaks a key.
func (o Options) String() string {
	redact := func(k string) string {
		if k == "" {
			return `""`
		}
		return "REDACTED"
	}
	return fmt.Sprintf("signalrtest.Options{AccessKey:%s SecondaryAccessKey:%s Upstream:%d templates UpstreamTimeout:%v KeepAliveInterval:%v ClientTimeout:%v HandshakeTimeout:%v StrictAzure:%t MaxConnections:%d}",
		redact(o.AccessKey), redact(o.SecondaryAccessKey), len(o.Upstream), o.UpstreamTimeout, o.KeepAliveInterval, o.ClientTimeout, o.HandshakeTimeout, o.StrictAzure, o.MaxConnections)
}
