// Command emulator runs the funcsignalr in-process Azure SignalR Service emulator as a
// standalone program: a drop-in for Microsoft's `asrs-emulator start`, next to `func start`
// or an app in any language.
//
//	go run ./examples/emulator                          # 127.0.0.1:8888, ./settings.json if present
//	go run ./examples/emulator -upstream http://localhost:7071/runtime/webhooks/signalr
//	go run ./examples/emulator -ip 0.0.0.0 -port 8888 -config settings.json
//
// It prints the connection string to use and the address of its live trace (a page showing
// connections, groups, REST calls, messages and upstream calls as they happen) and serves
// until SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// defaultSettings is the file Microsoft's emulator reads when -config is not given.
const defaultSettings = "settings.json"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "emulator:", err)
		}
		os.Exit(2)
	}
}

// config is what the command line asks for.
type config struct {
	ip       string
	port     int
	settings string // "" = ./settings.json when it exists
	upstream string
	verbose  bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.ip, "ip", "127.0.0.1", "IP address to listen on (0.0.0.0 for every interface)")
	fs.IntVar(&c.port, "port", 8888, "port to listen on (0 picks a free one)")
	fs.StringVar(&c.settings, "config", "", "upstream settings file (or directory holding settings.json) in the format of Microsoft's emulator; default ./settings.json when present")
	fs.StringVar(&c.upstream, "upstream", "", "upstream URL receiving every hub, category and event (adds a */*/* template after those of -config)")
	fs.BoolVar(&c.verbose, "v", false, "log connections, REST calls and upstream requests to stderr")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: emulator [-ip addr] [-port n] [-config settings.json] [-upstream url] [-v]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; expected only flags (see -h)", fs.Arg(0))
	}
	if c.port < 0 || c.port > 65535 {
		return c, fmt.Errorf("-port %d is out of range; expected 0-65535", c.port)
	}
	if net.ParseIP(c.ip) == nil {
		return c, fmt.Errorf("-ip %q is not an IP address; expected e.g. 127.0.0.1 or 0.0.0.0", c.ip)
	}
	return c, nil
}

// upstreams collects the templates of the settings file (defaultPath when -config is not
// given and that file exists) and the -upstream shortcut.
func upstreams(c config, defaultPath string, stdout io.Writer) ([]signalrtest.UpstreamTemplate, error) {
	var templates []signalrtest.UpstreamTemplate
	path := c.settings
	if path == "" {
		if _, err := os.Stat(defaultPath); err == nil {
			path = defaultPath
		}
	}
	if path != "" {
		t, err := signalrtest.LoadSettings(path)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stdout, "Loaded %d upstream template(s) from %s\n", len(t), path)
		templates = append(templates, t...)
	}
	if c.upstream != "" {
		// Parsed as a settings file so the shortcut is validated exactly like -config.
		doc, err := json.Marshal(map[string]any{"UpstreamSettings": map[string]any{"Templates": []signalrtest.UpstreamTemplate{
			{UrlTemplate: c.upstream, HubPattern: "*", EventPattern: "*", CategoryPattern: "*"},
		}}})
		if err != nil {
			return nil, err
		}
		t, err := signalrtest.ParseSettings(doc)
		if err != nil {
			return nil, fmt.Errorf("-upstream %q: %w", c.upstream, err)
		}
		templates = append(templates, t...)
	}
	return templates, nil
}

// run serves until ctx is cancelled. It prints the connection string once listening.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	templates, err := upstreams(c, defaultSettings, stdout)
	if err != nil {
		return err
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	srv := signalrtest.NewUnstartedServer(&signalrtest.Options{
		Upstream: templates,
		Logger:   slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	addr := net.JoinHostPort(c.ip, strconv.Itoa(c.port))
	if err := srv.StartOn(addr); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w: another program (another emulator?) uses port %d; choose another with -port, or -port 0 for a free one", err, c.port)
		}
		return fmt.Errorf("%w (choose the address with -ip and -port)", err)
	}
	defer srv.Close()

	for _, t := range templates {
		fmt.Fprintf(stdout, "Upstream: hub=%s category=%s event=%s -> %s\n", orStar(t.HubPattern), orStar(t.CategoryPattern), orStar(t.EventPattern), t.UrlTemplate)
	}
	if len(templates) == 0 {
		fmt.Fprintln(stdout, "No upstream: messages clients send are dropped, as by the service (use -upstream or -config)")
	}
	fmt.Fprintf(stdout, "SignalR Service emulator listening on %s\n", srv.URL)
	fmt.Fprintln(stdout, "Use this connection string (e.g. AzureSignalRConnectionString in local.settings.json):")
	fmt.Fprintf(stdout, "    %s\n", srv.ConnectionString())
	fmt.Fprintf(stdout, "Live trace: %s/trace/\n", srv.URL)
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")

	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping.")
	return nil
}

func orStar(p string) string {
	if p == "" {
		return "*"
	}
	return p
}
