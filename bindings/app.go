package bindings

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/negotiate"
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
	// ExtensionBundleVersion is the extension bundle range; default "[4.*, 5.0.0)", the v4
	// bundles, which carry the SignalR bindings.
	ExtensionBundleVersion string
	// Logger receives handler failures; nil means slog.Default(), which writes to stderr.
	Logger *slog.Logger
	// MaxRequestBytes bounds invocation bodies; default 128 MiB (the host accepts 100 MB
	// HTTP bodies, which grow by a third in base64).
	MaxRequestBytes int64
	// ShutdownTimeout is how long Main lets invocations finish after SIGTERM or SIGINT;
	// default 30 s.
	ShutdownTimeout time.Duration
}

// App is a custom handler: functions declared in Go, served to the Functions host, and written
// out as function.json and host.json. Register every function (and middleware) before serving;
// an App is then safe for concurrent use. Registration reports what the host would reject as
// an error, as trigger.Router's does.
type App struct {
	opts      AppOptions
	mu        sync.RWMutex
	functions []*function
	byName    map[string]*function
	mws       []func(HandlerFunc) HandlerFunc
	chain     atomic.Pointer[HandlerFunc]

	settingsMu sync.Mutex
	settings   func(setting string) map[string]string // nil: the process environment
}

type function struct {
	decl    manifest.Function
	handler HandlerFunc
	httpIn  string // trigger binding name when the trigger is httpTrigger
	httpOut string // http output binding name
	trigger manifest.Binding
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
		a.opts.ExtensionBundleVersion = manifest.DefaultExtensionBundleVersion
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

// routePrefix is the HTTP route prefix without slashes: "api" unless AppOptions says otherwise.
func (a *App) routePrefix() string {
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
	decl := manifest.Function{Name: name, Bindings: make([]manifest.Binding, len(bindings))}
	for i, b := range bindings {
		if b.err != nil {
			return fmt.Errorf("bindings: function %q: %w", name, b.err)
		}
		decl.Bindings[i] = b.b
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	all := make([]manifest.Function, 0, len(a.functions)+1)
	for _, f := range a.functions {
		all = append(all, f.decl)
	}
	if err := manifest.ValidateApp(append(all, decl)); err != nil {
		return err
	}
	fn := &function{decl: decl, handler: handler}
	fn.trigger, _ = decl.Trigger()
	if fn.trigger.Is(manifest.TypeHTTPTrigger) {
		fn.httpIn = fn.trigger.Name
	}
	if out, ok := decl.Find(manifest.TypeHTTP, manifest.DirectionOut); ok {
		fn.httpOut = out.Name
	}
	a.functions = append(a.functions, fn)
	a.byName[strings.ToLower(name)] = fn
	return nil
}

// HTTP registers an HTTP function: an httpTrigger named "req", an http output named "res",
// and any extra bindings (a SignalROutput to send messages, for instance). In the handler,
// inv.HTTPRequest reads the request and inv.Respond writes the response.
func (a *App) HTTP(name string, opts *HTTPOptions, handler HandlerFunc, extra ...Binding) error {
	bs := append([]Binding{HTTPTrigger("req", opts), HTTPOutput("res")}, extra...)
	return a.Func(name, handler, bs...)
}

// NegotiateOptions configures a negotiate function. A nil pointer means defaults: the
// function name as route, post and get, AuthLevelFunction, and a connection info without a
// user.
type NegotiateOptions struct {
	// HTTPOptions are the function's route, methods (default post and get) and authorization.
	// With the function named "negotiate" and the default route, clients use <prefix>/ as their
	// hub URL.
	HTTPOptions
	// ConnectionInfoOptions configure the signalRConnectionInfo input the host mints the token
	// with: the user id expression, id token claims and connection setting.
	ConnectionInfoOptions
	// Mint, when set, makes the App mint the connection info itself, exactly as
	// negotiate.Handler does with these options, instead of the host through a
	// signalRConnectionInfo input. The zero value, &negotiate.HandlerOptions{}, gives the token
	// the user App Service authentication signed in (its x-ms-client-principal headers) when
	// there is one, and no user otherwise: what no userId binding expression can say, since an
	// expression whose value is missing fails the invocation for anonymous callers. Mint.UserID
	// and Mint.Claims replace that rule with the application's own.
	//
	// The function then declares no SignalR binding. The App reaches the service through the
	// connection setting (ConnectionStringSetting, and Azure__SignalR__Endpoints__<name> for
	// several endpoints) read from the app settings, which the Functions host passes to the
	// custom handler as environment variables and bindingstest passes to an App the same way,
	// so both hosts answer alike. The binding expressions UserID, IDToken and ClaimTypeList do
	// not apply, nor does Mint.AllowedOrigins (the host answers CORS); setting them is an
	// error, as is a hub taken from an app setting.
	Mint *negotiate.HandlerOptions
}

// Negotiate registers a negotiate function for hub: by default the host mints the connection
// info (signalRConnectionInfo input "connectionInfo") and the function returns it as JSON
// {url, accessToken}, which SignalR clients follow to the service; with
// NegotiateOptions.Mint the App mints it.
func (a *App) Negotiate(name, hub string, opts *NegotiateOptions) error {
	var o NegotiateOptions
	if opts != nil {
		o = *opts
	}
	if len(o.Methods) == 0 {
		o.Methods = []string{"post", "get"}
	}
	if o.Mint != nil {
		m, err := newMinter(a, hub, &o)
		if err != nil {
			return fmt.Errorf("bindings: function %q: %w", name, err)
		}
		return a.HTTP(name, &o.HTTPOptions, m.serve)
	}
	return a.HTTP(name, &o.HTTPOptions,
		func(ctx context.Context, inv *Invocation) error {
			info, err := inv.ConnectionInfo()
			if err != nil {
				return err
			}
			return inv.Respond(http.StatusOK, nil, info)
		},
		SignalRConnectionInfo("connectionInfo", hub, &o.ConnectionInfoOptions))
}

// SignalRTrigger registers a function triggered by SignalR clients: category
// trigger.CategoryMessages with event = the hub method they call, or
// trigger.CategoryConnections with trigger.EventConnected or trigger.EventDisconnected. The
// trigger binding is named "invocation"; inv.InvocationContext reads it and inv.Return answers
// an invoke() call. SignalRMessage is the typed form for messages.
func (a *App) SignalRTrigger(name, hub, category, event string, opts *SignalRTriggerOptions, handler HandlerFunc, extra ...Binding) error {
	bs := append([]Binding{SignalRTrigger("invocation", hub, category, event, opts)}, extra...)
	return a.Func(name, handler, bs...)
}

// Use adds middleware around every function's handler, outermost first, as trigger.Router.Use
// does: it runs for every invocation once the host's payload is read, sees the same
// *Invocation (its accessors read the inputs), and by returning an error without calling next
// fails the invocation as the handler would (for an invoke() call the client gets the error;
// for connected, the service refuses the connection). An authorization filter, such as the
// C# samples' [FunctionAuthorize], is one Use call. nil entries are ignored.
func (a *App) Use(mw ...func(next HandlerFunc) HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range mw {
		if m != nil {
			a.mws = append(a.mws, m)
		}
	}
	a.chain.Store(nil)
}

// handler returns the middleware chain around the invocation's own handler.
func (a *App) handler() HandlerFunc {
	if h := a.chain.Load(); h != nil {
		return *h
	}
	// Built under the write lock so a concurrent Use cannot be overwritten by a chain built
	// from the older middleware list.
	a.mu.Lock()
	defer a.mu.Unlock()
	if h := a.chain.Load(); h != nil {
		return *h
	}
	h := HandlerFunc(func(ctx context.Context, inv *Invocation) error { return inv.fn.handler(ctx, inv) })
	for i := len(a.mws) - 1; i >= 0; i-- {
		h = a.mws[i](h)
	}
	a.chain.Store(&h)
	return h
}

// ServeHTTP answers the host: GET / is the readiness probe, POST /{function} an invocation.
// With forwarding or proxying enabled, raw requests to HTTP-only functions are routed by
// their route templates. It also lets tests and other servers embed the App.
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
	req, err := parseInvokeRequest(body)
	if err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	inv := &Invocation{Function: fn.decl.Name, ID: r.Header.Get("X-Azure-Functions-InvocationId"),
		req: req, resp: &invokeResponse{}, fn: fn}
	if err := a.invoke(r.Context(), inv); err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	if err := checkReturnTrap(fn, inv.resp); err != nil {
		a.fail(w, fn.decl.Name, err)
		return
	}
	out, err := inv.resp.appendJSON(make([]byte, 0, 1024))
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
func checkReturnTrap(fn *function, resp *invokeResponse) error {
	for _, b := range fn.decl.Bindings {
		if b.Name != manifest.ReturnBindingName || b.DataType == "binary" {
			continue
		}
		if err := checkBase64Trap(resp.ReturnValue); err != nil {
			if b.Is(manifest.TypeHTTP) {
				return fmt.Errorf("bindings: HTTP return value %w; answer with Invocation.Respond, which sends an object", err)
			}
			return fmt.Errorf("bindings: return value %w", err)
		}
	}
	return nil
}

// invoke calls the middleware and the handler, turning a panic into an error so one bad
// invocation cannot take the process down.
func (a *App) invoke(ctx context.Context, inv *Invocation) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bindings: function %q panicked: %v\n%s", inv.Function, p, debug.Stack())
		}
	}()
	return a.handler()(ctx, inv)
}

// fail answers a failed invocation: 500, so the host fails it, and a log line on stderr, which
// the host shows in its log stream.
func (a *App) fail(w http.ResponseWriter, name string, err error) {
	a.logger().Error("function failed", "function", name, "error", err.Error())
	body, _ := json.Marshal(invokeResponse{Logs: []string{fmt.Sprintf("function %s failed: %v", name, err)}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// matchForwarded finds the HTTP-only function whose route matches a raw request.
func (a *App) matchForwarded(r *http.Request) (*function, map[string]string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if prefix := a.routePrefix(); prefix != "" {
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
		req:  &invokeRequest{Data: map[string]json.RawMessage{}, Metadata: map[string]json.RawMessage{}},
		resp: &invokeResponse{}, fn: fn, httpReq: req}
	if err := a.invoke(r.Context(), inv); err != nil {
		a.logger().Error("function failed", "function", fn.decl.Name, "error", err.Error())
		http.Error(w, "function failed", http.StatusInternalServerError)
		return
	}
	for _, line := range inv.resp.Logs {
		a.logger().Info(line, "function", fn.decl.Name)
	}
	var out any
	if fn.httpOut == manifest.ReturnBindingName {
		out = inv.resp.ReturnValue
	} else {
		out = inv.resp.Outputs[fn.httpOut]
	}
	resp, ok := out.(httpResponse)
	if !ok {
		if out != nil {
			a.logger().Error("function failed", "function", fn.decl.Name, "error", fmt.Sprintf("http output is %T; set it with Respond", out))
			http.Error(w, "function failed", http.StatusInternalServerError)
			return
		}
		resp = httpResponse{StatusCode: http.StatusOK}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}
