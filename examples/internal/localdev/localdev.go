// Package localdev runs an example function app either way it can live: as a plain custom
// handler under the Azure Functions host, or on its own for local development, with the fake
// Functions host from bindingstest in front and the embedded SignalR Service emulator (or a real
// service) behind.
package localdev

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// DefaultAddr is where the local host listens unless -addr says otherwise: the port `func start`
// uses, so URLs in tutorials work unchanged.
const DefaultAddr = "localhost:7071"

// LocalIdentityProvider is the x-ms-client-principal-idp value of users signed in by Identity.
const LocalIdentityProvider = "local"

// maxUserLength bounds a local user name; App Service principal ids are far shorter.
const maxUserLength = 64

// Config is one local run.
type Config struct {
	// Name names the example in what is printed, such as "chat".
	Name string
	// App is the function app.
	App *bindings.App
	// PagePath is where the app serves its page, such as /api/web/; / redirects there.
	PagePath string
	// Addr is the address to listen on; "" means DefaultAddr. Port 0 picks a free port.
	Addr string
	// ConnectionString, when set, is a real Azure SignalR Service; "" starts the emulator.
	ConnectionString string
	// Stdout receives what was started and the URL to open; Logger the host's diagnostics.
	Stdout io.Writer
	Logger *slog.Logger
}

// Main runs app as a program: under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) or
// with the functionjson command it is app.Run; otherwise it runs locally until SIGINT or
// SIGTERM (cancellation of ctx), with the flags
//
//	-addr host:port   where the page and the functions are served (default localhost:7071)
//
// and AzureSignalRConnectionString, when set, naming the service to use instead of the
// emulator.
func Main(ctx context.Context, name string, app *bindings.App, pagePath string, args []string, stdout, stderr io.Writer) error {
	if os.Getenv(bindings.PortEnv) != "" || os.Getenv(bindings.LegacyPortEnv) != "" ||
		(len(args) > 0 && args[0] == "functionjson") {
		return app.Run(args)
	}
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", DefaultAddr, "address to serve the page and the functions on (port 0 picks a free one)")
	verbose := flags.Bool("v", false, "log every invocation and upstream call")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: %s [-addr host:port] [-v]\n       %s functionjson [-check] DIR\n", name, name)
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
		App:              app,
		PagePath:         pagePath,
		Addr:             *addr,
		ConnectionString: os.Getenv(bindings.DefaultConnectionStringSetting),
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

	stdout   io.Writer
	front    *http.Server
	served   chan error
	host     *bindingstest.Host
	emulator *signalrtest.Server
}

// Start starts a local environment and prints what it started.
func Start(cfg Config) (*Server, error) {
	if cfg.App == nil {
		return nil, errors.New("localdev: Config needs an App")
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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localdev: listening on %s: %w (choose another address with -addr)", addr, err)
	}
	s := &Server{stdout: cfg.Stdout, URL: pageURL(addr, ln.Addr())}
	webhook := "http://" + ln.Addr().String() + bindingstest.WebhookPath

	cs := cfg.ConnectionString
	service := "Azure SignalR Service from " + bindings.DefaultConnectionStringSetting
	if cs == "" {
		// The emulator delivers client messages and connection events to the host's webhook,
		// the upstream a deployed app configures in the portal.
		s.emulator = signalrtest.NewServer(&signalrtest.Options{
			Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: webhook, HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}},
			Logger:   cfg.Logger,
		})
		cs = s.emulator.ConnectionString()
		service = "SignalR Service emulator at " + s.emulator.URL
	}

	var fallback http.Handler
	if cfg.PagePath != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /{$}", http.RedirectHandler(cfg.PagePath, http.StatusFound))
		fallback = mux
	}
	host, err := bindingstest.NewHost(cfg.App, &bindingstest.Options{
		SignalRConnectionString: cs,
		Fallback:                fallback,
		Logger:                  cfg.Logger,
	})
	if err != nil {
		_ = ln.Close()
		s.closeEmulator()
		return nil, fmt.Errorf("localdev: starting the Functions host: %w", err)
	}
	s.host = host
	s.front = &http.Server{
		Handler:           Identity(cfg.App.RoutePrefix(), host),
		ReadHeaderTimeout: 10 * time.Second,
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.front.Serve(ln) }()

	var names []string
	for _, f := range cfg.App.Functions() {
		names = append(names, f.Name)
	}
	fmt.Fprintf(cfg.Stdout, "%s: Functions host serving %s\n", cfg.Name, strings.Join(names, ", "))
	fmt.Fprintf(cfg.Stdout, "%s: %s\n", cfg.Name, service)
	if s.emulator != nil {
		fmt.Fprintf(cfg.Stdout, "%s: upstream %s\n", cfg.Name, webhook)
	} else {
		fmt.Fprintf(cfg.Stdout, "%s: the service reaches the SignalR triggers only through an upstream URL it can call (%s is local)\n", cfg.Name, webhook)
	}
	fmt.Fprintf(cfg.Stdout, "%s: open %s (Ctrl+C to stop)\n", cfg.Name, s.URL)
	return s, nil
}

// Close stops the front server, the host and the emulator, letting requests in flight finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.front.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.host.Close()
	s.closeEmulator()
	return err
}

// Emulator is the embedded SignalR Service emulator, nil when a real service is used.
func (s *Server) Emulator() *signalrtest.Server { return s.emulator }

// Host is the fake Functions host in front of the app.
func (s *Server) Host() *bindingstest.Host { return s.host }

func (s *Server) closeEmulator() {
	if s.emulator != nil {
		s.emulator.Close()
	}
}

// pageURL is the URL to open: the host name asked for (a browser cannot open 0.0.0.0) with the
// port actually bound.
func pageURL(asked string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(asked)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(bound.String())
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// Identity plays App Service authentication for local runs: under /<prefix>/ it removes any
// x-ms-client-principal-* header the caller sent (as App Service does) and, when the request
// names a user in the "user" query parameter or the x-user header, signs that user in by setting
// x-ms-client-principal-id and -name (and -idp "local"). Functions then read the user exactly as
// they do in Azure, from the principal headers, so the same code runs in both places.
func Identity(prefix string, next http.Handler) http.Handler {
	under := "/"
	if prefix != "" {
		under = "/" + prefix + "/"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(strings.ToLower(r.URL.Path), strings.ToLower(under)) {
			next.ServeHTTP(w, r)
			return
		}
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-ms-client-principal") {
				r.Header.Del(name)
			}
		}
		user := r.URL.Query().Get("user")
		if user == "" {
			user = r.Header.Get("x-user")
		}
		if user != "" {
			if err := checkUser(user); err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, "{\"error\":%q}\n", err.Error())
				return
			}
			r.Header.Set(negotiate.HeaderClientPrincipalID, user)
			r.Header.Set(negotiate.HeaderClientPrincipalName, user)
			r.Header.Set(negotiate.HeaderClientPrincipalIDP, LocalIdentityProvider)
		}
		next.ServeHTTP(w, r)
	})
}

// checkUser accepts what can travel in a header and a token claim and reads well in a chat.
func checkUser(user string) error {
	if len(user) > maxUserLength {
		return fmt.Errorf("user name is longer than %d bytes", maxUserLength)
	}
	for _, r := range user {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return errors.New("user name must be printable UTF-8 text")
		}
	}
	if strings.TrimSpace(user) != user {
		return errors.New("user name must not start or end with spaces")
	}
	return nil
}
