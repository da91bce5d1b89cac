package fakehost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// DefaultHostVersion is the host version the fake host reports.
const DefaultHostVersion = "4.1037.1.1"

// WebhookPath is where the host receives SignalR upstream calls.
const WebhookPath = "/runtime/webhooks/signalr"

// Options configures a Host; bindingstest.Options documents each field, and the two types
// have the same fields so that one converts to the other. A nil *Options means defaults.
type Options struct {
	// Addr is the address the host listens on, such as "127.0.0.1:7071"; "" means
	// 127.0.0.1 on a free port.
	Addr string
	// SignalRConnectionString is used for every connection setting the bindings name
	// (AzureSignalRConnectionString by default) that Settings does not hold.
	SignalRConnectionString string
	// Settings are app settings, the Values of local.settings.json. Settings not found here
	// or through SignalRConnectionString are read from the environment.
	Settings map[string]string
	// FunctionsDir, when set, is where host.json and the function.json files are read from, as
	// the real host does. Without it the declarations are those passed to New.
	FunctionsDir string
	// HostVersion is sent in X-Azure-Functions-HostVersion and User-Agent.
	HostVersion string
	// CORS lists the origins allowed to call HTTP functions from a browser, like
	// local.settings.json's Host.CORS; "*" allows any. CORSCredentials adds
	// Access-Control-Allow-Credentials.
	CORS            []string
	CORSCredentials bool
	// Fallback serves requests outside the route prefix and the webhook, such as a static
	// web page during local development; nil means 404.
	Fallback http.Handler
	// Logger receives the handlers' log lines and the host's own events; nil means
	// slog.Default().
	Logger *slog.Logger
	// InvocationTimeout bounds each call to the handler; default 5 minutes plus one, the
	// host's default functionTimeout plus its margin.
	InvocationTimeout time.Duration
	// StartupTimeout is how long NewHostForURL waits for the handler to answer GET /;
	// default 30 s, as the host.
	StartupTimeout time.Duration
	// Now is the clock behind sys.UtcNow; nil means time.Now.
	Now func() time.Time
	// NewGUID makes invocation ids and sys.RandGuid; nil means random version 4 GUIDs. Tests
	// comparing payloads byte for byte set both Now and NewGUID.
	NewGUID func() string
	// FunctionKeys (key name to value) and MasterKey turn on the host's key authentication, as
	// in Azure: an HTTP function's authLevel is enforced (401 without a valid key, taken from
	// the x-functions-key header, else the code query parameter), and a key-authenticated call
	// carries the WebJobsAuthLevel identity with the key's level (Function, or Admin for the
	// master key) and name. Without them, as under `func start`, every call is anonymous and
	// allowed. Both are secrets and never shown by Options.String.
	FunctionKeys map[string]string
	MasterKey    string
	// Router chooses the endpoint of signalRConnectionInfo inputs when settings configure
	// several endpoints (Azure__SignalR__Endpoints__<name>, see
	// signalr.NewClientFromEnvironment); nil means the default routing of
	// signalr.ClientOptions.Router. For an HTTP-triggered function it sees the caller's request
	// (negotiate.RequestFromContext).
	Router signalr.Router
}

// Host is a fake Azure Functions host running a custom handler: it serves the app's HTTP
// functions under the route prefix and SignalR upstream calls at WebhookPath, sends the
// handler the exact payloads the host sends, resolves signalRConnectionInfo inputs and applies
// signalR outputs against the configured service, and rejects what the real host rejects.
type Host struct {
	// URL is the host's base URL, such as http://127.0.0.1:7071.
	URL string

	opts       Options
	manifest   *manifest.Manifest
	handlerURL string
	client     *http.Client
	srv        *http.Server
	handlerSrv *http.Server
	logger     *slog.Logger

	mu          sync.Mutex
	settings    map[string]string
	services    map[string]*service
	logs        []string
	invocations []Invocation
}

// Invocation records one call of the handler, for assertions in tests.
type Invocation struct {
	Function string
	ID       string
	// Request is the body sent to the handler (the JSON payload, or the raw body in forwarding
	// mode).
	Request []byte
	// Status and Response are the handler's answer; Status is 0 when it never answered.
	Status   int
	Response []byte
	// Err says why the host failed the invocation, "" when it succeeded.
	Err string
}

type service struct {
	client     *signalr.Client // one or several endpoints
	negotiator *negotiate.Negotiator
	// skipSignature mirrors the extension, which checks no upstream signature when any
	// endpoint is identity-based.
	skipSignature bool
}

func newService(client *signalr.Client) (*service, error) {
	n, err := negotiate.New(client, nil)
	if err != nil {
		return nil, err
	}
	s := &service{client: client, negotiator: n}
	for _, e := range svcint.Endpoints(client) {
		s.skipSignature = s.skipSignature || e.AccessKey == nil
	}
	return s, nil
}

// apply sends output items to the service, fanning out over every endpoint named in them (all
// when none is) when there are several.
func (s *service) apply(ctx context.Context, hub string, actions ...signalr.Action) error {
	h, err := s.client.Hub(hub)
	if err != nil {
		return err
	}
	return h.Apply(ctx, actions...)
}

// New starts a host in front of handler. When handler is a *bindings.App its declarations
// are used (unless Options.FunctionsDir is set); any other handler needs FunctionsDir. The
// handler itself is served on its own loopback port, as the host runs a custom handler, so
// every invocation crosses real HTTP.
func New(handler http.Handler, opts *Options) (*Host, error) {
	if handler == nil {
		return nil, errors.New("bindingstest: handler is nil")
	}
	h, err := newHost(opts)
	if err != nil {
		return nil, err
	}
	if h.manifest == nil {
		m, ok := appManifest(handler)
		if !ok {
			return nil, errors.New("bindingstest: the handler is not a *bindings.App, so Options.FunctionsDir must name the folder with host.json and the function.json files")
		}
		h.manifest = m
	}
	if apphooks.SetSettings != nil {
		// An App in this process reads its app settings from the host, as a custom handler
		// reads them from the environment the real host gives its process.
		apphooks.SetSettings(handler, h.appSettings)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bindingstest: listening for the handler: %w", err)
	}
	h.handlerSrv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.handlerSrv.Serve(ln) }()
	h.handlerURL = "http://" + ln.Addr().String()
	if err := h.start(); err != nil {
		_ = h.handlerSrv.Close()
		return nil, err
	}
	return h, nil
}

// NewForURL starts a host in front of a handler already listening at handlerURL (such as
// http://127.0.0.1:8080). Declarations come from Options.FunctionsDir. Like the real host it
// waits until GET / answers.
func NewForURL(handlerURL string, opts *Options) (*Host, error) {
	h, err := newHost(opts)
	if err != nil {
		return nil, err
	}
	if h.manifest == nil {
		return nil, errors.New("bindingstest: Options.FunctionsDir is required with a handler URL")
	}
	u, err := url.Parse(handlerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bindingstest: handler URL %q is not an absolute http URL", handlerURL)
	}
	h.handlerURL = strings.TrimSuffix(handlerURL, "/")
	if err := h.waitReady(); err != nil {
		return nil, err
	}
	if err := h.start(); err != nil {
		return nil, err
	}
	return h, nil
}

func newHost(opts *Options) (*Host, error) {
	h := &Host{settings: map[string]string{}, services: map[string]*service{}}
	if opts != nil {
		h.opts = *opts
	}
	for k, v := range h.opts.Settings {
		h.settings[k] = v
	}
	if h.opts.HostVersion == "" {
		h.opts.HostVersion = DefaultHostVersion
	}
	if h.opts.InvocationTimeout <= 0 {
		h.opts.InvocationTimeout = 6 * time.Minute
	}
	if h.opts.StartupTimeout <= 0 {
		h.opts.StartupTimeout = 30 * time.Second
	}
	if h.opts.Now == nil {
		h.opts.Now = time.Now
	}
	if h.opts.NewGUID == nil {
		h.opts.NewGUID = newGUID
	}
	h.logger = h.opts.Logger
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.client = &http.Client{
		Timeout: h.opts.InvocationTimeout,
		// The host does not follow redirects from a custom handler (host#7860).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		// .NET's HttpClient asks for no compression; net/http would add Accept-Encoding: gzip.
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
	}
	if h.opts.FunctionsDir != "" {
		m, err := manifest.Read(h.opts.FunctionsDir)
		if err != nil {
			return nil, err
		}
		h.manifest = m
	}
	return h, nil
}

func (h *Host) waitReady() error {
	deadline := time.Now().Add(h.opts.StartupTimeout)
	for {
		resp, err := h.client.Get(h.handlerURL + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bindingstest: the handler at %s did not answer GET / within %v: %w", h.handlerURL, h.opts.StartupTimeout, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (h *Host) start() error {
	addr := h.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bindingstest: listening on %s: %w", addr, err)
	}
	h.URL = "http://" + ln.Addr().String()
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ConnContext: connContext}
	go func() { _ = h.srv.Serve(captureListener{ln}) }()
	return nil
}

// Close stops the host and the handler server it started, waiting up to five seconds for
// requests in flight.
func (h *Host) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if h.srv != nil {
		_ = h.srv.Shutdown(ctx)
	}
	if h.handlerSrv != nil {
		_ = h.handlerSrv.Shutdown(ctx)
	}
	h.client.CloseIdleConnections()
	h.mu.Lock()
	for _, s := range h.services {
		if s.client != nil {
			_ = s.client.Close()
		}
	}
	h.mu.Unlock()
}

// Manifest returns the declarations the host runs.
func (h *Host) Manifest() *manifest.Manifest { return h.manifest }

// appManifest returns the declarations of a *bindings.App.
func appManifest(handler http.Handler) (*manifest.Manifest, bool) {
	if apphooks.Manifest == nil {
		return nil, false
	}
	return apphooks.Manifest(handler)
}

// SetSetting sets an app setting, such as the connection string of an emulator started after
// the host.
func (h *Host) SetSetting(name, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.settings[name] = value
}

// Logs returns the log lines handlers returned, each as "<function>: <line>".
func (h *Host) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

// Invocations returns every handler call so far, oldest first.
func (h *Host) Invocations() []Invocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Invocation(nil), h.invocations...)
}

func (h *Host) record(inv Invocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.invocations = append(h.invocations, inv)
}

// setting looks an app setting up in Settings (and SetSetting), then the environment.
func (h *Host) setting(name string) (string, bool) {
	h.mu.Lock()
	v, ok := h.settings[name]
	h.mu.Unlock()
	if ok {
		return v, true
	}
	return os.LookupEnv(name)
}

// connectionString is the value of a SignalR binding's connection setting, with
// Options.SignalRConnectionString standing in for any setting not configured explicitly.
func (h *Host) connectionString(name string) (string, bool) {
	h.mu.Lock()
	v, ok := h.settings[name]
	h.mu.Unlock()
	if ok {
		return v, true
	}
	if h.opts.SignalRConnectionString != "" {
		return h.opts.SignalRConnectionString, true
	}
	return os.LookupEnv(name)
}

// service returns the SignalR client for a binding's connection setting. When any setting
// configures named endpoints (Azure__SignalR__Endpoints__<name>), the binding's setting, if set,
// joins them as the unnamed primary endpoint and the service fans out over all of them, with
// health checks running until Close.
func (h *Host) service(b manifest.Binding) (*service, error) {
	name := b.Setting()
	if settings, ok := h.endpointSettings(name); ok {
		return h.multiService(name, settings)
	}
	cs, ok := h.connectionString(name)
	if !ok || cs == "" {
		return nil, fmt.Errorf("the SignalR Service connection string is not set: app setting %q is empty", name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.services[cs]; ok {
		return s, nil
	}
	client, err := signalr.NewClientFromConnectionString(cs, nil)
	if err != nil {
		return nil, fmt.Errorf("app setting %q: %w", name, err)
	}
	s, err := newService(client)
	if err != nil {
		return nil, err
	}
	h.services[cs] = s
	return s, nil
}

// endpointSettings returns the settings a multi-endpoint service is built from (Settings, then
// the environment, with SignalRConnectionString standing in for the binding's setting), and
// whether any of them configures a named endpoint.
func (h *Host) endpointSettings(name string) (map[string]string, bool) {
	settings := h.appSettings(name)
	for k, v := range settings {
		if svcint.IsEndpointSetting(k) && strings.TrimSpace(v) != "" {
			return settings, true
		}
	}
	return nil, false
}

// appSettings returns every app setting, as a handler's environment holds them under the real
// host: the environment, then Settings (and SetSetting), with SignalRConnectionString standing
// in for the connection setting name when Settings does not hold it, as for a binding.
func (h *Host) appSettings(name string) map[string]string {
	settings := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			settings[k] = v
		}
	}
	h.mu.Lock()
	for k, v := range h.settings {
		settings[k] = v
	}
	_, explicit := h.settings[name]
	h.mu.Unlock()
	if !explicit && h.opts.SignalRConnectionString != "" {
		settings[name] = h.opts.SignalRConnectionString
	}
	return settings
}

// multiService builds (once per setting and configuration) the fan-out service.
func (h *Host) multiService(name string, settings map[string]string) (*service, error) {
	// Any change of settings (SetSetting) builds a new service, as for a connection string.
	var key strings.Builder
	key.WriteString("endpoints\x00" + name)
	for _, k := range sortedSettingNames(settings) {
		key.WriteString("\x00" + k + "=" + settings[k])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.services[key.String()]; ok {
		return s, nil
	}
	client, err := svcint.NewClientFromSettings(name, settings, &signalr.ClientOptions{Router: h.opts.Router})
	if err != nil {
		return nil, err
	}
	s, err := newService(client.(*signalr.Client))
	if err != nil {
		return nil, err
	}
	h.services[key.String()] = s
	return s, nil
}

func sortedSettingNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ServeHTTP routes a caller's request: the SignalR webhook, HTTP functions under the route
// prefix, CORS preflight, else Fallback.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Taken for every request, so the names stay in step with the connection's requests.
	raw := rawHeaderNames(r)
	if h.cors(w, r) {
		return
	}
	if strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), WebhookPath) {
		h.serveWebhook(w, r, raw)
		return
	}
	if fn, params, ok := h.matchHTTP(r); ok {
		h.serveHTTPFunction(w, r, raw, fn, params)
		return
	}
	if h.opts.Fallback != nil {
		h.opts.Fallback.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// matchHTTP finds the HTTP-triggered function for a request path below the route prefix.
func (h *Host) matchHTTP(r *http.Request) (manifest.Function, map[string]string, bool) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if prefix := h.manifest.Host.RoutePrefix; prefix != "" {
		if len(path) < len(prefix) || !strings.EqualFold(path[:len(prefix)], prefix) || (len(path) > len(prefix) && path[len(prefix)] != '/') {
			return manifest.Function{}, nil, false
		}
		path = strings.TrimPrefix(path[len(prefix):], "/")
	}
	for _, fn := range h.manifest.Functions {
		if params, ok := fn.MatchRoute(r.Method, path); ok {
			return fn, params, true
		}
	}
	return manifest.Function{}, nil, false
}

// cors applies Options.CORS and answers preflight requests, as the host's CORS middleware.
func (h *Host) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || len(h.opts.CORS) == 0 {
		return false
	}
	allowed := false
	for _, o := range h.opts.CORS {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			allowed = true
		}
	}
	if !allowed {
		return false
	}
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	hdr.Set("Access-Control-Allow-Origin", origin)
	if h.opts.CORSCredentials {
		hdr.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		hdr.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			hdr.Set("Access-Control-Allow-Headers", req)
		}
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// readAll reads a request body with a limit, reporting whether it was cut.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the body exceeds %d bytes", limit)
	}
	return b, nil
}
