// Package localdev runs an example function app either way it can live: as a plain custom
// handler under the Azure Functions host, or on its own for local development, with the fake
// Functions host from bindingstest in front and the embedded SignalR Service emulator (or a real
// service) behind.
package localdev

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// DefaultAddr is where the local host listens unless -addr says otherwise: the port `func start`
// uses, so URLs in tutorials work unchanged.
const DefaultAddr = "localhost:7071"

// EndpointSettingPrefix starts the setting names of the second and further emulators, followed
// by their number: Azure__SignalR__Endpoints__emulator2, …
const EndpointSettingPrefix = "Azure__SignalR__Endpoints__emulator"

// maxEndpoints bounds -endpoints: each endpoint is an emulator in this process.
const maxEndpoints = 8

// Builder declares an app.
type Builder func() (*bindings.App, error)

// Config is one local run.
type Config struct {
	// Name names the example in what is printed, such as "chat".
	Name string
	// Build declares the app once the service is known.
	Build Builder
	// Addr is the address to listen on; "" means DefaultAddr. Port 0 picks a free port.
	Addr string
	// ConnectionString, when set, is a real Azure SignalR Service; "" starts the emulator.
	ConnectionString string
	// Endpoints is how many emulators to start, each a service endpoint: the first behind
	// AzureSignalRConnectionString, the others behind Azure__SignalR__Endpoints__emulator<n>
	// settings, so the bindings fan out and route as with several Azure instances. 0 means 1;
	// only without ConnectionString.
	Endpoints int
	// Stdout receives what was started and the URL to open; Logger the host's diagnostics.
	Stdout io.Writer
	Logger *slog.Logger
}

// Port environment variables the Functions host sets for a custom handler, current and legacy.
const (
	portEnv       = "FUNCTIONS_CUSTOMHANDLER_PORT"
	legacyPortEnv = "FUNCTIONS_HTTPWORKER_PORT"
)

// routePrefix is the examples' HTTP route prefix, the host's default.
const routePrefix = "api"

// underHost reports whether the program runs under the Functions host, or is asked to write
// or check its function.json files: then it is the app's own Main.
func underHost(args []string) bool {
	return os.Getenv(portEnv) != "" || os.Getenv(legacyPortEnv) != "" || (len(args) > 0 && args[0] == "functionjson")
}

// Command is an example's whole main function. Under the Functions host, and for the
// functionjson command, it is the app's Main; otherwise it is Main with the process's
// arguments and output, stopped by SIGINT or SIGTERM, exiting with status 1 after printing
// what failed.
func Command(name string, build Builder) {
	if underHost(os.Args[1:]) {
		app, err := build()
		if err != nil {
			fmt.Fprintln(os.Stderr, name+":", err)
			os.Exit(1)
		}
		app.Main() // exits with status 1 when it fails
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Main(ctx, name, build, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, name+":", err)
		}
		os.Exit(1)
	}
}

// Main runs the app build declares locally until ctx is cancelled (SIGINT or SIGTERM), with
// the flags
//
//	-addr host:port   where the page and the functions are served (default localhost:7071)
//	-endpoints n      start n emulators, n service endpoints (default 1)
//	-v                log every invocation and upstream call
//
// and AzureSignalRConnectionString, when set, naming the service to use instead of the
// emulator (with Azure__SignalR__Endpoints__<name> settings for several instances).
func Main(ctx context.Context, name string, build Builder, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", DefaultAddr, "address to serve the page and the functions on (port 0 picks a free one)")
	endpoints := flags.Int("endpoints", 1, "number of emulators to start, each a service endpoint")
	verbose := flags.Bool("v", false, "log every invocation and upstream call")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: %s [-addr host:port] [-endpoints n] [-v]\n       %s functionjson [-check] DIR\n", name, name)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q; expected flags only, or functionjson [-check] DIR", name, flags.Arg(0))
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	return Run(ctx, Config{
		Name:             name,
		Build:            build,
		Addr:             *addr,
		ConnectionString: os.Getenv(signalr.DefaultConnectionSetting),
		Endpoints:        *endpoints,
		Stdout:           stdout,
		Logger:           slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
}

// Run serves cfg until ctx is done, then stops everything it started.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(s.stdout, "Stopping.")
	return s.Close()
}

// Server is a running local environment.
type Server struct {
	// URL is the page's address, such as http://localhost:7071/.
	URL string

	stdout    io.Writer
	front     *http.Server
	host      *bindingstest.Host
	emulators []*signalrtest.Server
}

// Start starts a local environment and prints what it started.
func Start(cfg Config) (*Server, error) {
	if cfg.Build == nil {
		return nil, errors.New("localdev: Config needs a Build function")
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	n := cfg.Endpoints
	switch {
	case n == 0:
		n = 1
	case n < 0 || n > maxEndpoints:
		return nil, fmt.Errorf("localdev: %d endpoints asked for; expected 1 to %d", n, maxEndpoints)
	case n > 1 && cfg.ConnectionString != "":
		return nil, errors.New("localdev: several endpoints start emulators, but a connection string names a real service; configure its other instances with Azure__SignalR__Endpoints__<name> settings instead")
	}
	s := &Server{stdout: cfg.Stdout}
	cs := cfg.ConnectionString
	services := []string{"Azure SignalR Service from " + signalr.DefaultConnectionSetting}
	endpointSettings := map[string]string{}
	if cs == "" {
		services = services[:0]
		for i := range n {
			emu := signalrtest.NewServer(&signalrtest.Options{Logger: cfg.Logger})
			s.emulators = append(s.emulators, emu)
			if i == 0 {
				cs = emu.ConnectionString()
				services = append(services, "SignalR Service emulator at "+emu.URL+", live trace at "+emu.URL+"/trace/")
				continue
			}
			setting := EndpointSettingPrefix + strconv.Itoa(i+1)
			endpointSettings[setting] = emu.ConnectionString()
			services = append(services, "SignalR Service emulator at "+emu.URL+" ("+setting+"), live trace at "+emu.URL+"/trace/")
		}
	}
	app, err := cfg.Build()
	if err != nil {
		s.closeEmulators()
		return nil, err
	}

	var fallback http.Handler
	if webassets.Registered(app) {
		mux := http.NewServeMux()
		mux.Handle("GET /{$}", http.RedirectHandler(webassets.PagePath(routePrefix), http.StatusFound))
		fallback = mux
	}
	host, err := bindingstest.NewHost(app, &bindingstest.Options{
		SignalRConnectionString: cs,
		Settings:                endpointSettings,
		Fallback:                fallback,
		Logger:                  cfg.Logger,
	})
	if err != nil {
		s.closeEmulators()
		return nil, fmt.Errorf("localdev: starting the Functions host: %w", err)
	}
	s.host = host
	// In front of the host, as App Service authentication is in Azure.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		host.Close()
		s.closeEmulators()
		return nil, fmt.Errorf("localdev: listening on %s: %w (choose another address with -addr)", addr, err)
	}
	s.front = &http.Server{Handler: signIn(host), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.front.Serve(ln) }()
	frontURL := "http://" + ln.Addr().String()
	s.URL = pageURL(addr, frontURL)
	webhook := frontURL + bindingstest.WebhookPath
	for _, emu := range s.emulators {
		// The emulator delivers client messages and connection events to the host's webhook,
		// the upstream a deployed app configures in the portal.
		emu.SetUpstream([]signalrtest.UpstreamTemplate{{UrlTemplate: webhook, HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}})
	}

	fmt.Fprintf(cfg.Stdout, "%s: Functions host at %s; ?user=<name> signs a user in, as App Service authentication would\n", cfg.Name, frontURL)
	for _, service := range services {
		fmt.Fprintf(cfg.Stdout, "%s: %s\n", cfg.Name, service)
	}
	if len(s.emulators) > 0 {
		fmt.Fprintf(cfg.Stdout, "%s: upstream %s\n", cfg.Name, webhook)
	} else {
		fmt.Fprintf(cfg.Stdout, "%s: the service reaches the SignalR triggers only through an upstream URL it can call (%s is local)\n", cfg.Name, webhook)
	}
	fmt.Fprintf(cfg.Stdout, "%s: open %s (Ctrl+C to stop)\n", cfg.Name, s.URL)
	return s, nil
}

// Close stops the host, letting requests in flight finish, and the emulators.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.front.Shutdown(ctx)
	s.host.Close()
	s.closeEmulators()
	return nil
}

// maxUserLength bounds the names signIn accepts.
const maxUserLength = 64

// signIn plays App Service authentication for local runs. It drops the x-ms-client-principal
// headers a client sends, as the platform does, and signs in the user the page names with
// ?user= (or an x-user header), unverified, by adding the headers the platform adds for a
// signed-in user; negotiate.PrincipalFromRequest reads them, under the Functions host in Azure
// as here. The service's upstream calls pass untouched.
func signIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), bindingstest.WebhookPath) {
			next.ServeHTTP(w, r)
			return
		}
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-ms-client-principal") {
				delete(r.Header, k)
			}
		}
		user := r.URL.Query().Get("user")
		if user == "" {
			user = r.Header.Get("X-User")
		}
		if user != "" {
			if err := checkUser(user); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
				return
			}
			r.Header.Set(negotiate.HeaderClientPrincipalID, user)
			r.Header.Set(negotiate.HeaderClientPrincipalName, user)
			r.Header.Set(negotiate.HeaderClientPrincipalIDP, "localdev")
		}
		next.ServeHTTP(w, r)
	})
}

// checkUser refuses a name too long, padded with spaces or not printable.
func checkUser(user string) error {
	switch {
	case len(user) > maxUserLength:
		return fmt.Errorf("user name is longer than %d bytes", maxUserLength)
	case strings.TrimSpace(user) != user:
		return errors.New("user name must not start or end with spaces")
	}
	for _, r := range user {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return errors.New("user name must be printable UTF-8 text")
		}
	}
	return nil
}

// Emulator is the embedded SignalR Service emulator (the first when several run), nil when a
// real service is used.
func (s *Server) Emulator() *signalrtest.Server {
	if len(s.emulators) == 0 {
		return nil
	}
	return s.emulators[0]
}

// Emulators are the embedded emulators in endpoint order: the unnamed primary, then
// Azure__SignalR__Endpoints__emulator2 and on.
func (s *Server) Emulators() []*signalrtest.Server { return s.emulators }

// Host is the fake Functions host in front of the app.
func (s *Server) Host() *bindingstest.Host { return s.host }

func (s *Server) closeEmulators() {
	for _, emu := range s.emulators {
		emu.Close()
	}
}

// pageURL is the URL to open: the host name asked for (a browser cannot open 0.0.0.0) with the
// port actually bound.
func pageURL(asked, bound string) string {
	host, _, err := net.SplitHostPort(asked)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	port := ""
	if u, err := url.Parse(bound); err == nil {
		port = u.Port()
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
