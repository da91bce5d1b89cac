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
	"net/url"
	"os"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// DefaultAddr is where the local host listens unless -addr says otherwise: the port `func start`
// uses, so URLs in tutorials work unchanged.
const DefaultAddr = "localhost:7071"

// EnvironmentSetting names the Functions environment; Core Tools (`func start`) sets it to
// "Development", Azure to "Production".
const EnvironmentSetting = "AZURE_FUNCTIONS_ENVIRONMENT"

// Env is what an app learns about where it runs.
type Env struct {
	// ConnectionString is the SignalR Service the bindings use, "" when it comes from the app
	// settings in the environment (under the Functions host, where identity-based settings may
	// hold no connection string at all).
	ConnectionString string
	// Development is true when running locally (on its own, or under `func start`), where a
	// page may name its user without App Service authentication.
	Development bool
}

// Builder declares an app for env.
type Builder func(env Env) (*bindings.App, error)

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
	// Stdout receives what was started and the URL to open; Logger the host's diagnostics.
	Stdout io.Writer
	Logger *slog.Logger
}

// Main runs the app build declares as a program. Under the Functions host
// (FUNCTIONS_CUSTOMHANDLER_PORT set) or with the functionjson command it is the app's Run;
// otherwise it runs locally until ctx is cancelled (SIGINT or SIGTERM), with the flags
//
//	-addr host:port   where the page and the functions are served (default localhost:7071)
//	-v                log every invocation and upstream call
//
// and AzureSignalRConnectionString, when set, naming the service to use instead of the
// emulator.
func Main(ctx context.Context, name string, build Builder, args []string, stdout, stderr io.Writer) error {
	if os.Getenv(bindings.PortEnv) != "" || os.Getenv(bindings.LegacyPortEnv) != "" ||
		(len(args) > 0 && args[0] == "functionjson") {
		app, err := build(Env{Development: os.Getenv(EnvironmentSetting) == "Development"})
		if err != nil {
			return err
		}
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
		Build:            build,
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
	host     *bindingstest.Host
	emulator *signalrtest.Server
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
	s := &Server{stdout: cfg.Stdout}
	cs := cfg.ConnectionString
	service := "Azure SignalR Service from " + bindings.DefaultConnectionStringSetting
	if cs == "" {
		s.emulator = signalrtest.NewServer(&signalrtest.Options{Logger: cfg.Logger})
		cs = s.emulator.ConnectionString()
		service = "SignalR Service emulator at " + s.emulator.URL
	}
	app, err := cfg.Build(Env{ConnectionString: cs, Development: true})
	if err != nil {
		s.closeEmulator()
		return nil, err
	}

	var fallback http.Handler
	names := make([]string, 0, len(app.Functions()))
	for _, f := range app.Functions() {
		names = append(names, f.Name)
		if f.Name == webassets.FunctionName {
			mux := http.NewServeMux()
			mux.Handle("GET /{$}", http.RedirectHandler(webassets.PagePath(app), http.StatusFound))
			fallback = mux
		}
	}
	host, err := bindingstest.NewHost(app, &bindingstest.Options{
		Addr:                    addr,
		SignalRConnectionString: cs,
		Fallback:                fallback,
		Logger:                  cfg.Logger,
	})
	if err != nil {
		s.closeEmulator()
		return nil, fmt.Errorf("localdev: starting the Functions host on %s: %w (choose another address with -addr)", addr, err)
	}
	s.host = host
	s.URL = pageURL(addr, host.URL)
	webhook := host.URL + bindingstest.WebhookPath
	if s.emulator != nil {
		// The emulator delivers client messages and connection events to the host's webhook,
		// the upstream a deployed app configures in the portal.
		s.emulator.SetUpstream([]signalrtest.UpstreamTemplate{{UrlTemplate: webhook, HubPattern: "*", CategoryPattern: "*", EventPattern: "*"}})
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

// Close stops the host, letting requests in flight finish, and the emulator.
func (s *Server) Close() error {
	s.host.Close()
	s.closeEmulator()
	return nil
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
