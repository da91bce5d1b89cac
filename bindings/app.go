package bindings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// HandlerFunc handles one invocation. Returning an error fails the invocation: the host gets a
// 500 and the error is logged to stderr, which the host shows.
type HandlerFunc func(ctx context.Context, inv *Invocation) error

// AppOptions configures an App and the host.json it writes. A nil *AppOptions means defaults.
type AppOptions struct {
	// ExecutablePath is host.json's customHandler.description.defaultExecutablePath, the
	// program the host starts; default "handler".
	ExecutablePath string
	// Arguments are passed to the program; %APP_SETTING% references are expanded by the host.
	Arguments []string
	// WorkingDirectory is the program's working directory, relative to the app root.
	WorkingDirectory string
	// RoutePrefix is the prefix of HTTP routes; nil means "api", a pointer to "" means none.
	RoutePrefix *string
	// EnableForwardingHTTPRequest sets host.json's enableForwardingHttpRequest: functions with
	// exactly one HTTP trigger and one http output then receive the caller's raw request. The
	// App routes such requests to the same handlers.
	EnableForwardingHTTPRequest bool
	// EnableProxyingHTTPRequest sets enableProxyingHttpRequest, the streaming successor of
	// forwarding, with the same routing.
	EnableProxyingHTTPRequest bool
	// ExtensionBundleVersion is the extension bundle range; default DefaultExtensionBundleVersion.
	ExtensionBundleVersion string
	// Logger receives handler failures; nil means slog.Default(), which writes to stderr.
	Logger *slog.Logger
	// MaxRequestBytes bounds invocation bodies; default 128 MiB (the host accepts 100 MB
	// HTTP bodies, which grow by a third in base64).
	MaxRequestBytes int64
	// ShutdownTimeout is how long ListenAndServe lets invocations finish after SIGTERM or
	// SIGINT; default 30 s.
	ShutdownTimeout time.Duration
}

// DefaultExtensionBundleVersion is the extension bundle range host.json asks for; it carries
// the SignalR bindings.
const DefaultExtensionBundleVersion = "[4.*, 5.0.0)"

// App is a custom handler: functions declared in Go, served to the Functions host, and written
// out as function.json and host.json. Register every function before serving; an App is then
// safe for concurrent use.
type App struct {
	opts      AppOptions
	mu        sync.RWMutex
	functions []*function
	byName    map[string]*function
}

type function struct {
	decl    Function
	handler HandlerFunc
	httpIn  string // trigger binding name when the trigger is httpTrigger
	httpOut string // http output binding name
	trigger Binding
}

// NewApp returns an empty App.
func NewApp(opts *AppOptions) *App {
	a := &App{byName: map[string]*function{}}
	if opts != nil {
		a.opts = *opts
	}
	if a.opts.ExecutablePath == "" {
		a.opts.ExecutablePath = "handler"
	}
	if a.opts.ExtensionBundleVersion == "" {
		a.opts.ExtensionBundleVersion = DefaultExtensionBundleVersion
	}
	if a.opts.MaxRequestBytes <= 0 {
		a.opts.MaxRequestBytes = 128 << 20
	}
	if a.opts.ShutdownTimeout <= 0 {
		a.opts.ShutdownTimeout = 30 * time.Second
	}
	return a
}

func (a *App) logger() *slog.Logger {
	if a.opts.Logger != nil {
		return a.opts.Logger
	}
	return slog.Default()
}

// RoutePrefix is the HTTP route prefix without slashes: "api" unless AppOptions says otherwise.
func (a *App) RoutePrefix() string {
	if a.opts.RoutePrefix == nil {
		return "api"
	}
	return strings.Trim(*a.opts.RoutePrefix, "/")
}

// Func registers a function with its bindings. It reports what the host would reject: an
// invalid or duplicate name, not exactly one trigger, a SignalR binding without a hub, an http
// output without an HTTP trigger, a $return binding on a SignalR trigger, colliding routes.
func (a *App) Func(name string, handler HandlerFunc, bindings ...Binding) error {
	if handler == nil {
		return fmt.Errorf("bindings: function %q has a nil handler", name)
	}
	decl := Function{Name: name, Bindings: append([]Binding(nil), bindings...)}
	a.mu.Lock()
	defer a.mu.Unlock()
	all := make([]Function, 0, len(a.functions)+1)
	for _, f := range a.functions {
		all = append(all, f.decl)
	}
	if err := validateApp(append(all, decl)); err != nil {
		return err
	}
	fn := &function{decl: decl, handler: handler}
	fn.trigger, _ = decl.Trigger()
	if fn.trigger.Is(TypeHTTPTrigger) {
		fn.httpIn = fn.trigger.Name
	}
	if out, ok := decl.Find(TypeHTTP, DirectionOut); ok {
		fn.httpOut = out.Name
	}
	a.functions = append(a.functions, fn)
	a.byName[strings.ToLower(name)] = fn
	return nil
}

// HTTPOptions configures a function registered with HTTP. A nil pointer means defaults.
type HTTPOptions struct {
	// Route is the route template; "" means the function name.
	Route string
	// Methods lists accepted methods; empty means all.
	Methods []string
	// AuthLevel defaults to AuthLevelFunction.
	AuthLevel AuthLevel
}

// HTTP registers an HTTP function: an httpTrigger named "req", an http output named "res",
// and any extra bindings (a SignalROutput to send messages, for instance). In the handler,
// inv.HTTPRequest reads the request and inv.Respond writes the response.
func (a *App) HTTP(name string, opts *HTTPOptions, handler HandlerFunc, extra ...Binding) error {
	if opts == nil {
		opts = &HTTPOptions{}
	}
	bs := append([]Binding{
		HTTPTrigger("req", &HTTPTriggerOptions{Route: opts.Route, Methods: opts.Methods, AuthLevel: opts.AuthLevel}),
		HTTPOutput("res"),
	}, extra...)
	return a.Func(name, handler, bs...)
}

// NegotiateOptions configures a negotiate function. A nil pointer means defaults.
type NegotiateOptions struct {
	// Route defaults to the function name, so clients use <prefix>/ as their hub URL when the
	// function is named "negotiate".
	Route string
	// Methods defaults to post and get.
	Methods []string
	// AuthLevel defaults to AuthLevelFunction; browsers calling it directly need
	// AuthLevelAnonymous.
	AuthLevel AuthLevel
	// ConnectionInfo configures the signalRConnectionInfo input (user id expression, idToken…).
	ConnectionInfo *ConnectionInfoOptions
}

// Negotiate registers a negotiate function for hub: the host mints the connection info
// (signalRConnectionInfo input "connectionInfo") and the function returns it as JSON
// {url, accessToken}, which SignalR clients follow to the service.
func (a *App) Negotiate(name, hub string, opts *NegotiateOptions) error {
	if opts == nil {
		opts = &NegotiateOptions{}
	}
	methods := opts.Methods
	if len(methods) == 0 {
		methods = []string{"post", "get"}
	}
	return a.HTTP(name, &HTTPOptions{Route: opts.Route, Methods: methods, AuthLevel: opts.AuthLevel},
		func(ctx context.Context, inv *Invocation) error {
			info, err := inv.ConnectionInfo()
			if err != nil {
				return err
			}
			return inv.Respond(http.StatusOK, nil, info)
		},
		SignalRConnectionInfo("connectionInfo", hub, opts.ConnectionInfo))
}

// SignalRTrigger registers a function triggered by SignalR clients: category CategoryMessages
// with event = the hub method they call, or CategoryConnections with EventConnected or
// EventDisconnected. The trigger binding is named "invocation"; inv.SignalRInvocation reads it
// and inv.Return answers an invoke() call.
func (a *App) SignalRTrigger(name, hub, category, event string, opts *SignalRTriggerOptions, handler HandlerFunc, extra ...Binding) error {
	bs := append([]Binding{SignalRTrigger("invocation", hub, category, event, opts)}, extra...)
	return a.Func(name, handler, bs...)
}

// Functions returns the registered declarations in registration order.
func (a *App) Functions() []Function {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Function, len(a.functions))
	for i, f := range a.functions {
		out[i] = f.decl
	}
	return out
}

// Invocation is one call of a function: the host's request, the response being built, and
// helpers that know the function's binding names.
type Invocation struct {
	// Function is the function name.
	Function string
	// ID is the host's invocation id (X-Azure-Functions-InvocationId).
	ID string
	// Request is the payload the host sent. In forwarding mode it is synthesised from the raw
	// request, with the HTTP trigger in Data.
	Request *InvokeRequest
	// Response is sent back to the host when the handler returns nil.
	Response *InvokeResponse

	fn      *function
	httpReq *HTTPRequest
}

// HTTPRequest decodes the HTTP trigger.
func (inv *Invocation) HTTPRequest() (*HTTPRequest, error) {
	if inv.httpReq != nil {
		return inv.httpReq, nil
	}
	if inv.fn.httpIn == "" {
		return nil, fmt.Errorf("bindings: function %q has no HTTP trigger", inv.Function)
	}
	req, err := inv.Request.HTTPRequest(inv.fn.httpIn)
	if err != nil {
		return nil, err
	}
	inv.httpReq = req
	return req, nil
}

// ConnectionInfo decodes the function's signalRConnectionInfo input.
func (inv *Invocation) ConnectionInfo() (negotiate.ConnectionInfo, error) {
	b, err := inv.only(TypeSignalRConnectionInfo, DirectionIn)
	if err != nil {
		return negotiate.ConnectionInfo{}, err
	}
	return inv.Request.ConnectionInfo(b.Name)
}

// Respond sets the function's http output (see NewHTTPResponse for status, headers and body).
func (inv *Invocation) Respond(status int, headers http.Header, body any) error {
	if inv.fn.httpOut == "" {
		return fmt.Errorf("bindings: function %q has no http output", inv.Function)
	}
	return inv.Response.HTTP(inv.fn.httpOut, status, headers, body)
}

// Send appends messages and group actions to the function's signalR output.
func (inv *Invocation) Send(items ...signalr.Action) error {
	b, err := inv.only(TypeSignalR, DirectionOut)
	if err != nil {
		return err
	}
	return inv.Response.SignalR(b.Name, items...)
}

// Log appends a line to the invocation's log.
func (inv *Invocation) Log(format string, args ...any) { inv.Response.Log(format, args...) }

// Return sets the return value; for a SignalR trigger it answers the client's invoke().
func (inv *Invocation) Return(v any) { inv.Response.Return(v) }

func (inv *Invocation) only(t string, dir Direction) (Binding, error) {
	var found []Binding
	for _, b := range inv.fn.decl.Bindings {
		if b.Is(t) && b.Direction == dir {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Binding{}, fmt.Errorf("bindings: function %q has no %s binding", inv.Function, t)
	}
	return Binding{}, fmt.Errorf("bindings: function %q has %d %s bindings; use Invocation.Request or Response with a binding name", inv.Function, len(found), t)
}

// ServeHTTP answers the host: GET / is the readiness probe, POST /{function} an invocation.
// With forwarding or proxying enabled, raw requests to HTTP-only functions are routed by
// their route templates.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(r.URL.Path, "/")
	if path == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.mu.RLock()
	fn := a.byName[strings.ToLower(path)]
	a.mu.RUnlock()
	if fn != nil && r.Method == http.MethodPost && !a.forwarded(fn) {
		a.serveInvocation(w, r, fn)
		return
	}
	if a.opts.EnableForwardingHTTPRequest || a.opts.EnableProxyingHTTPRequest {
		if fn, params := a.matchForwarded(r); fn != nil {
			a.serveForwarded(w, r, fn, params)
			return
		}
	}
	if fn != nil {
		http.Error(w, "bindings: invocations are POST requests", http.StatusMethodNotAllowed)
		return
	}
	http.Error(w, fmt.Sprintf("bindings: no function %q is registered", path), http.StatusNotFound)
}

func (a *App) forwarded(fn *function) bool {
	return (a.opts.EnableForwardingHTTPRequest || a.opts.EnableProxyingHTTPRequest) && fn.decl.IsHTTPInAndOut()
}

func (a *App) serveInvocation(w http.ResponseWriter, r *http.Request, fn *function) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxRequestBytes))
	if err != nil {
		a.fail(w, fn.decl.Name, fmt.Errorf("bindings: reading the invocation body: %w", err))
		return
	}
	req, err := ParseInvokeRequest(body)
	if err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	inv := &Invocation{Function: fn.decl.Name, ID: r.Header.Get("X-Azure-Functions-InvocationId"),
		Request: req, Response: &InvokeResponse{}, fn: fn}
	if err := a.run(r.Context(), fn, inv); err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	if err := checkReturnTrap(fn, inv.Response); err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	out, err := inv.Response.appendJSON(make([]byte, 0, 1024))
	if err != nil {
		a.fail(w, fn.decl.Name, fmt.Errorf("bindings: marshalling the response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// checkReturnTrap refuses a bare base64-able string for a $return binding, which the host
// would decode into bytes: GetBindingValue runs on every $return string, HTTP included, so
// ReturnValue "test" reaches an HTTP caller as the bytes b5 eb 2d (spec §8.3).
func checkReturnTrap(fn *function, resp *InvokeResponse) error {
	for _, b := range fn.decl.Bindings {
		if b.Name != ReturnBindingName || b.DataType == "binary" {
			continue
		}
		if err := checkBase64Trap(resp.ReturnValue); err != nil {
			if b.Is(TypeHTTP) {
				return fmt.Errorf("bindings: HTTP return value %w; answer with Invocation.Respond or InvokeResponse.HTTP, which send an object", err)
			}
			return fmt.Errorf("bindings: return value %w", err)
		}
	}
	return nil
}

// run calls the handler, turning a panic into an error so one bad invocation cannot take the
// process down.
func (a *App) run(ctx context.Context, fn *function, inv *Invocation) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bindings: function %q panicked: %v\n%s", fn.decl.Name, p, debug.Stack())
		}
	}()
	return fn.handler(ctx, inv)
}

// fail answers a failed invocation: 500, so the host fails it, and a log line on stderr, which
// the host shows in its log stream.
func (a *App) fail(w http.ResponseWriter, name string, err error) {
	a.logger().Error("function failed", "function", name, "error", err.Error())
	body, _ := json.Marshal(InvokeResponse{Logs: []string{fmt.Sprintf("function %s failed: %v", name, err)}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// matchForwarded finds the HTTP-only function whose route matches a raw request.
func (a *App) matchForwarded(r *http.Request) (*function, map[string]string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if prefix := a.RoutePrefix(); prefix != "" {
		rest, ok := cutPrefixFold(path, prefix)
		if !ok || (rest != "" && rest[0] != '/') {
			return nil, nil
		}
		path = strings.TrimPrefix(rest, "/")
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, fn := range a.functions {
		if !a.forwarded(fn) {
			continue
		}
		if params, ok := fn.decl.MatchRoute(r.Method, path); ok {
			return fn, params
		}
	}
	return nil, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// serveForwarded runs a handler on a raw forwarded request and writes its http output as the
// response itself, as the host expects in forwarding and proxying modes.
func (a *App) serveForwarded(w http.ResponseWriter, r *http.Request, fn *function, params map[string]string) {
	req := &HTTPRequest{URL: "http://" + r.Host + r.URL.RequestURI(), Method: r.Method,
		Query: map[string]string{}, Headers: map[string][]string(r.Header.Clone()), Params: params}
	for k, v := range r.URL.Query() {
		req.Query[k] = strings.Join(v, ",")
	}
	if r.Body != nil {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxRequestBytes))
		if err != nil {
			http.Error(w, "bindings: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(body) > 0 {
			req.Body = body
		}
	}
	inv := &Invocation{Function: fn.decl.Name, ID: r.Header.Get("X-Azure-Functions-InvocationId"),
		Request:  &InvokeRequest{Data: map[string]json.RawMessage{}, Metadata: map[string]json.RawMessage{}},
		Response: &InvokeResponse{}, fn: fn, httpReq: req}
	if err := a.run(r.Context(), fn, inv); err != nil {
		a.logger().Error("function failed", "function", fn.decl.Name, "error", err.Error())
		http.Error(w, "function failed", http.StatusInternalServerError)
		return
	}
	for _, line := range inv.Response.Logs {
		a.logger().Info(line, "function", fn.decl.Name)
	}
	var out any
	if fn.httpOut == ReturnBindingName {
		out = inv.Response.ReturnValue
	} else {
		out = inv.Response.Outputs[fn.httpOut]
	}
	resp, ok := out.(HTTPResponse)
	if !ok {
		if out != nil {
			a.logger().Error("function failed", "function", fn.decl.Name, "error", fmt.Sprintf("http output is %T; set it with Respond or InvokeResponse.HTTP", out))
			http.Error(w, "function failed", http.StatusInternalServerError)
			return
		}
		resp = HTTPResponse{StatusCode: http.StatusOK}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}

// Port environment variables, current and legacy.
const (
	PortEnv       = "FUNCTIONS_CUSTOMHANDLER_PORT"
	LegacyPortEnv = "FUNCTIONS_HTTPWORKER_PORT"
)

// ListenAndServe serves the App on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT (or the legacy
// FUNCTIONS_HTTPWORKER_PORT) until SIGTERM or SIGINT, then lets running invocations finish.
func (a *App) ListenAndServe() error {
	port := os.Getenv(PortEnv)
	if port == "" {
		port = os.Getenv(LegacyPortEnv)
	}
	if port == "" {
		return fmt.Errorf("bindings: %s is not set; the Functions host sets it (run under `func start`, or use bindingstest.NewHost for local development)", PortEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return fmt.Errorf("bindings: listening on port %s: %w", port, err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves the App on ln until ctx is done, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: a,
		// The host is the only client, on loopback; invocations may legitimately run as long as
		// functionTimeout, so only header reads are bounded.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also stops the shutdown goroutine when Serve fails on its own
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
		defer cancel()
		done <- srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return <-done
	}
	return err
}
