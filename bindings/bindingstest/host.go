package bindingstest

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/fakehost"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// DefaultHostVersion is the host version the fake host reports.
const DefaultHostVersion = fakehost.DefaultHostVersion

// WebhookPath is where the host receives SignalR upstream calls.
const WebhookPath = fakehost.WebhookPath

// Options configures a Host. A nil *Options means defaults.
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
	// the real host does. Without it the declarations come from the *bindings.App passed to
	// NewHost.
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

	h *fakehost.Host
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

// NewHost starts a host in front of handler. When handler is a *bindings.App its declarations
// are used (unless Options.FunctionsDir is set); any other handler needs FunctionsDir. The
// handler itself is served on its own loopback port, as the host runs a custom handler, so
// every invocation crosses real HTTP.
func NewHost(handler http.Handler, opts *Options) (*Host, error) {
	h, err := fakehost.New(handler, opts.internal())
	if err != nil {
		return nil, err
	}
	return &Host{URL: h.URL, h: h}, nil
}

// NewHostForURL starts a host in front of a handler already listening at handlerURL (such as
// http://127.0.0.1:8080). Declarations come from Options.FunctionsDir. Like the real host it
// waits until GET / answers.
func NewHostForURL(handlerURL string, opts *Options) (*Host, error) {
	h, err := fakehost.NewForURL(handlerURL, opts.internal())
	if err != nil {
		return nil, err
	}
	return &Host{URL: h.URL, h: h}, nil
}

// internal converts the options; the two structs have the same fields, which the conversion
// checks at compile time.
func (o *Options) internal() *fakehost.Options {
	if o == nil {
		return nil
	}
	c := fakehost.Options(*o)
	return &c
}

// Close stops the host and the handler server it started, waiting up to five seconds for
// requests in flight.
func (h *Host) Close() { h.h.Close() }

// SetSetting sets an app setting, such as the connection string of an emulator started after
// the host.
func (h *Host) SetSetting(name, value string) { h.h.SetSetting(name, value) }

// Logs returns the log lines handlers returned, each as "<function>: <line>".
func (h *Host) Logs() []string { return h.h.Logs() }

// Invocations returns every handler call so far, oldest first.
func (h *Host) Invocations() []Invocation {
	in := h.h.Invocations()
	out := make([]Invocation, len(in))
	for i, inv := range in {
		out[i] = Invocation(inv)
	}
	return out
}

// ServeHTTP routes a caller's request: the SignalR webhook, HTTP functions under the route
// prefix, CORS preflight, else Options.Fallback.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }
