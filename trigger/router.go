package trigger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/internal/typed"
)

// Handler handles one parsed upstream request. Middleware sees every request
// that passed parsing and signature checks as a Handler; result is the
// invoke() result (ignored for send() and connection events).
type Handler func(ctx context.Context, inv *Invocation) (result any, err error)

// RouterOptions configures a Router. The embedded ParseOptions say how
// requests are authenticated and bounded, as for Parse.
type RouterOptions struct {
	ParseOptions
	// Logger receives rejected requests and handler failures; nil logs
	// nothing.
	Logger *slog.Logger
}

// Router is an http.Handler for the upstream endpoint
// (/runtime/webhooks/signalr by convention). It parses and authenticates
// each request, dispatches it to the handler registered for its hub,
// category and event (matched case-insensitively), and answers the way the
// Azure Functions SignalR extension does:
//
//   - 415 the content type is not application/json or application/x-msgpack
//   - 400 a connection id, hub, category or event header is missing
//   - 401 the signature does not match an access key (checked before the
//     route, unlike the extension, so unsigned callers cannot probe handlers)
//   - 404 no handler is registered for the hub, category and event
//   - 413 the body is larger than MaxBodySize
//   - 500 the body does not decode: a messages body that is not an
//     Invocation, or a disconnected body that is not a JSON close message
//     ({"type":11}); a connected body is never read
//   - 403 a connected handler failed (the service then rejects the client)
//   - 200 a disconnected handler ran, whether it failed or not
//   - 200 with a Completion body in the request's protocol when the client
//     used invoke(): the handler's result, or its error text, including
//     argument binding errors; the body has no Content-Type of its own
//   - 200 with no body when the client used send() (no or an empty
//     invocation id), whether the handler succeeded, failed or its arguments
//     did not bind: the failure is only logged
//
// Register handlers before serving; registration returns an error for a
// bad handler signature or a duplicate.
type Router struct {
	opts   RouterOptions
	logger *slog.Logger

	mu     sync.RWMutex
	routes map[routeKey]*route
	mws    []func(Handler) Handler
	chain  atomic.Pointer[Handler]
}

type routeKey struct{ hub, category, event string }

type route struct {
	desc string // for messages: "OnMessage(\"chat\", \"send\")"
	call Handler
}

// NewRouter returns an empty Router. A nil *RouterOptions means defaults,
// which verify nothing and so are refused: the Router needs keys to verify
// upstream signatures with (ParseOptions.Client with access keys, or
// AccessKeys), or an explicit InsecureSkipSignature.
//
// Why: with identity-based (Microsoft Entra ID) connections the application
// holds no access key, yet the service still signs every upstream request
// with its own keys. The C# extension then switches verification off
// without a word, leaving the webhook open to anyone who can reach it. Here
// verification stays on whenever a key is known (configure the service's
// keys in AccessKeys, for example from Key Vault), and turning it off is an
// explicit, visible choice for an endpoint that something else
// authenticates (a private network, an API gateway, the Functions host's
// system key).
func NewRouter(opts *RouterOptions) (*Router, error) {
	var o RouterOptions
	if opts != nil {
		o = *opts
	}
	if !o.InsecureSkipSignature && len(o.keys()) == 0 {
		if o.Client != nil {
			return nil, errors.New("trigger: no access key to verify upstream signatures with: the client's endpoints use Microsoft Entra ID and AccessKeys is empty; " +
				"set AccessKeys to the service's access keys, or InsecureSkipSignature if something else authenticates the webhook")
		}
		return nil, errors.New("trigger: no access key to verify upstream signatures with; " +
			"set Client to the signalr.Client of the service, AccessKeys to its access keys, or InsecureSkipSignature if something else authenticates the webhook")
	}
	r := &Router{opts: o, logger: o.Logger, routes: map[routeKey]*route{}}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// OnConnected registers fn for the connected event of hub. An error from fn
// answers 403, which makes the service reject the connection.
func (r *Router) OnConnected(hub string, fn func(ctx context.Context, inv *Invocation) error) error {
	return r.addConnection("OnConnected", hub, EventConnected, fn)
}

// OnDisconnected registers fn for the disconnected event of hub;
// inv.Error holds the reason when the connection closed with an error.
func (r *Router) OnDisconnected(hub string, fn func(ctx context.Context, inv *Invocation) error) error {
	return r.addConnection("OnDisconnected", hub, EventDisconnected, fn)
}

func (r *Router) addConnection(method, hub, event string, fn func(context.Context, *Invocation) error) error {
	desc := fmt.Sprintf("trigger: %s(%q)", method, hub)
	if fn == nil {
		return errors.New(desc + ": nil handler")
	}
	return r.add(desc, routeKey{hub, CategoryConnections, event}, func(ctx context.Context, inv *Invocation) (any, error) {
		return nil, fn(ctx, inv)
	})
}

// OnMessage registers fn for the hub method event: what a client calls with
// send(event, …) or invoke(event, …). fn must have the form
//
//	func(ctx context.Context, inv *trigger.Invocation, a A, b B, …) error
//	func(ctx context.Context, inv *trigger.Invocation, a A, b B, …) (R, error)
//
// with any number of argument types, each decoded from the matching client
// argument with encoding/json rules (in either protocol). The client must
// send exactly that many arguments. R is the invoke() result, encoded in the
// client's protocol; a function without R answers null, as the extension
// does. The signature is checked here, once; a bad one is an error.
func (r *Router) OnMessage(hub, event string, fn any) error {
	desc := fmt.Sprintf("trigger: OnMessage(%q, %q)", hub, event)
	if event == "" {
		return errors.New(desc + ": empty event name")
	}
	call, err := compile(fn)
	if err != nil {
		return errors.New(desc + ": " + err.Error())
	}
	return r.add(desc, routeKey{hub, CategoryMessages, event}, call)
}

func (r *Router) add(desc string, k routeKey, call Handler) error {
	if k.hub == "" {
		return errors.New(desc + ": empty hub name")
	}
	k.hub, k.event = strings.ToLower(k.hub), strings.ToLower(k.event)
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, dup := r.routes[k]; dup {
		return errors.New(desc + ": a handler is already registered by " + prev.desc + " (names match case-insensitively)")
	}
	r.routes[k] = &route{desc: desc, call: call}
	return nil
}

// Use adds middleware around every handler, outermost first. Middleware
// runs after the request is parsed and authenticated; returning an error
// without calling next rejects the request as a handler failure would
// (for connected: 403).
func (r *Router) Use(mw ...func(next Handler) Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mws = append(r.mws, mw...)
	r.chain.Store(nil)
}

func (r *Router) handler() Handler {
	if h := r.chain.Load(); h != nil {
		return *h
	}
	// Build under the write lock so a concurrent Use cannot be overwritten
	// by a chain built from the older middleware list.
	r.mu.Lock()
	defer r.mu.Unlock()
	if h := r.chain.Load(); h != nil {
		return *h
	}
	h := Handler(func(ctx context.Context, inv *Invocation) (any, error) { return inv.route.call(ctx, inv) })
	for i := len(r.mws) - 1; i >= 0; i-- {
		h = r.mws[i](h)
	}
	r.chain.Store(&h)
	return h
}

func (r *Router) lookup(req request) *route {
	k := routeKey{strings.ToLower(req.hub), req.category, strings.ToLower(req.event)}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.routes[k]
}

// ServeHTTP handles one upstream request.
func (r *Router) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if hr.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.reject(hr, w, http.StatusMethodNotAllowed, errors.New("trigger: upstream requests use POST"))
		return
	}
	// The checks run in Parse's order: the signature before the route, so unsigned callers
	// cannot probe which hubs and events have handlers.
	req, err := authenticate(hr, &r.opts.ParseOptions)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, ErrUnsupportedContentType):
			status = http.StatusUnsupportedMediaType
		case errors.Is(err, ErrInvalidSignature):
			status = http.StatusUnauthorized
		}
		r.reject(hr, w, status, err)
		return
	}
	if err := req.checkKnown(); err != nil {
		r.reject(hr, w, http.StatusNotFound, err)
		return
	}
	rt := r.lookup(req)
	if rt == nil {
		r.reject(hr, w, http.StatusNotFound, fmt.Errorf("trigger: no handler for hub %.100q, category %s, event %.100q", req.hub, req.category, req.event))
		return
	}
	inv, err := decode(hr, req, r.opts.MaxBodySize)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		r.reject(hr, w, status, err)
		return
	}
	inv.route = rt
	ctx := newContext(hr.Context(), inv)
	result, err := r.run(ctx, inv)
	if err != nil {
		r.logger.LogAttrs(ctx, slog.LevelError, "trigger: handler failed", attrs(inv, slog.String("error", err.Error()))...)
	}
	if werr := inv.writeResponse(w, result, err); werr != nil {
		r.logger.LogAttrs(ctx, slog.LevelError, "trigger: writing the response failed", attrs(inv, slog.String("error", werr.Error()))...)
	}
}

// ErrNoHandler is returned by Dispatch when no handler is registered for
// the invocation's hub, category and event.
var ErrNoHandler = errors.New("trigger: no handler registered")

// Dispatch runs the middleware and the handler registered for inv's hub,
// category and event, without HTTP and without a signature check: for
// invocations that arrive another way, such as the InvocationContext a
// Functions host delivers to a signalRTrigger function
// (&trigger.Invocation{InvocationContext: c}). A panicking handler returns
// an error.
func (r *Router) Dispatch(ctx context.Context, inv *Invocation) (result any, err error) {
	req := request{hub: inv.Hub, category: inv.Category, event: inv.Event}
	if err := req.checkKnown(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoHandler, err)
	}
	rt := r.lookup(req)
	if rt == nil {
		return nil, fmt.Errorf("%w for hub %.100q, category %s, event %.100q", ErrNoHandler, inv.Hub, inv.Category, inv.Event)
	}
	inv.route = rt
	return r.run(newContext(ctx, inv), inv)
}

// run calls the middleware chain and handler, turning a panic into an error
// so one bad handler cannot take the connection down silently.
func (r *Router) run(ctx context.Context, inv *Invocation) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.logger.LogAttrs(ctx, slog.LevelError, "trigger: handler panicked", attrs(inv, slog.Any("panic", p))...)
			result, err = nil, errors.New("trigger: handler panicked")
		}
	}()
	return r.handler()(ctx, inv)
}

func (r *Router) reject(hr *http.Request, w http.ResponseWriter, status int, err error) {
	r.logger.LogAttrs(hr.Context(), slog.LevelWarn, "trigger: request rejected",
		slog.Int("status", status), slog.String("error", err.Error()),
		slog.String("hub", hr.Header.Get(HeaderHub)), slog.String("category", hr.Header.Get(HeaderCategory)),
		slog.String("event", hr.Header.Get(HeaderEvent)), slog.String("connectionId", hr.Header.Get(HeaderConnectionID)))
	http.Error(w, err.Error(), status)
}

func attrs(inv *Invocation, extra ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{slog.String("hub", inv.Hub), slog.String("category", inv.Category),
		slog.String("event", inv.Event), slog.String("connectionId", inv.ConnectionID),
		slog.String("invocationId", inv.InvocationID)}, extra...)
}

// WriteResponse answers the upstream request for inv with the handler's
// outcome, exactly as Router does: a Completion for invoke(), 403 for a
// failed connected handler, else 200, also for a failed send() handler (the
// extension answers send() with 200 whatever the function did). Use it when
// calling Parse directly.
func (inv *Invocation) WriteResponse(w http.ResponseWriter, result any, err error) error {
	return inv.writeResponse(w, result, err)
}

func (inv *Invocation) writeResponse(w http.ResponseWriter, result any, herr error) error {
	switch {
	case inv.Category == CategoryConnections:
		if herr != nil && inv.Event == EventConnected {
			http.Error(w, "trigger: connected handler failed", http.StatusForbidden)
			return nil
		}
		w.WriteHeader(http.StatusOK)
		return nil
	case inv.IsInvoke():
		body, err := inv.Completion(result, herr)
		if err != nil {
			// The result cannot be encoded: tell the caller rather than
			// leave it with a bare status code.
			body, _ = inv.Completion(nil, errors.New("the hub method result could not be encoded"))
		}
		h := w.Header()
		// The extension answers with a ByteArrayContent and no media type
		// (SignalRInvocationMethodExecutor.cs); a nil entry also keeps
		// net/http from sniffing one.
		h["Content-Type"] = nil
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, werr := w.Write(body)
		return errors.Join(err, werr)
	}
	// send(): SignalRInvocationMethodExecutor answers 200 without waiting for
	// a result, so a failed handler is only logged.
	w.WriteHeader(http.StatusOK)
	return nil
}

// Completion returns the framed Completion message answering inv in its
// protocol: the error text when err is not nil, else result (null when
// nil). It fails when inv has no invocation id or result cannot be encoded.
func (inv *Invocation) Completion(result any, err error) ([]byte, error) {
	if inv.InvocationID == "" {
		return nil, errors.New("trigger: Completion for a send() or connection event: only invoke() has an invocation id")
	}
	m := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID}
	if err != nil {
		m.Error, m.HasError = err.Error(), true
	} else {
		m.Result, m.HasResult = hubproto.ValueOf(result), true
	}
	b, encErr := inv.protocol().AppendFrame(nil, &m)
	if encErr != nil {
		return nil, fmt.Errorf("trigger: encoding the result: %w", cause(encErr))
	}
	return b, nil
}

// protocol is the request's hub protocol; JSON for an Invocation built by
// hand (from a host-delivered InvocationContext).
func (inv *Invocation) protocol() hubproto.Protocol {
	if inv.proto == nil {
		return hubproto.JSON
	}
	return inv.proto
}

type ctxKey struct{}

// newContext returns a copy of ctx carrying inv. Router does this for every
// handler.
func newContext(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, ctxKey{}, inv)
}

// FromContext returns the invocation a Router handler is serving.
func FromContext(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(ctxKey{}).(*Invocation)
	return inv, ok
}

// compile checks fn's signature once and returns a Handler calling it, with the compiler
// bindings.App.SignalRMessage shares (internal/typed).
func compile(fn any) (Handler, error) {
	f, err := typed.Compile(fn, (*Invocation).Bind)
	if err != nil {
		return nil, err
	}
	return f.Call, nil
}
