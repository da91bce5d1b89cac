package bindings

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Port environment variables, current and legacy, that the Functions host sets for a custom
// handler.
const (
	portEnv       = "FUNCTIONS_CUSTOMHANDLER_PORT"
	legacyPortEnv = "FUNCTIONS_HTTPWORKER_PORT"
)

// functionJSON is the functionjson command; prog names the program in messages.
func (a *App) functionJSON(prog string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("functionjson", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	check := fs.Bool("check", false, "fail when the files in DIR differ from the Go declarations")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("bindings: functionjson: %w; usage: functionjson [-check] DIR", err)
	}
	if fs.NArg() != 1 {
		return errors.New("bindings: functionjson needs one directory; usage: functionjson [-check] DIR")
	}
	dir := fs.Arg(0)
	m := a.manifest()
	files := "host.json and " + plural(len(m.Functions), "function.json file")
	if *check {
		if err := m.Check(dir); err != nil {
			if prog == "" {
				return err
			}
			return fmt.Errorf("%w\nrun `%s functionjson %s` (or go generate, with a //go:generate go run . functionjson . line) to write them from the Go declarations", err, prog, dir)
		}
		fmt.Fprintf(stdout, "%s in %s match the Go declarations.\n", files, dir)
		return nil
	}
	if err := m.Write(dir); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s to %s:\n", files, dir)
	fmt.Fprintf(stdout, "\t%s\n", filepath.Join(dir, "host.json"))
	for _, fn := range m.Functions {
		fmt.Fprintf(stdout, "\t%s\n", filepath.Join(dir, fn.Name, "function.json"))
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Main runs the App as a program with the process's arguments:
//
//	(none)                        under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set)
//	                              the custom handler, as the host starts it; elsewhere start
//	[start] [-addr host:port] [-v]
//	                              run the app locally, as func start does
//	functionjson [-check] DIR     write host.json and the function.json files into DIR, or
//	                              with -check fail when the files there differ
//	help, -h                      print the usage
//
// so `go run .` runs an app locally with nothing installed, the same binary is the custom
// handler in Azure, and `go run . functionjson -check .` guards the configuration in CI.
//
// start reads local.settings.json from the working directory as Core Tools does: its Values
// become app settings and are put in the process environment (a variable already set wins),
// so code reading settings from the environment, such as signalr.NewClientFromEnvironment,
// behaves as in Azure once Main runs; Host.LocalHttpPort (default 7071), Host.CORS and
// Host.CORSCredentials configure the local host, which serves the HTTP functions under the
// route prefix, the SignalR upstream at /runtime/webhooks/signalr and the admin endpoint
// POST /admin/functions/<name> {"input":"…"} that runs any function not triggered by HTTP.
// Timer triggers fire on their schedules. Every connection setting the functions name is
// checked at startup and a bad one stops the start, naming the setting; one that is not set
// (or is EmulatorConnectionString) gets an embedded SignalR Service emulator whose upstream
// is the local webhook, and whose live trace at /trace/ shows what it sees. Each invocation
// is logged as Core Tools logs it; -v adds client connections, REST calls and upstream calls.
//
// Main stops on SIGINT or SIGTERM, and exits with status 1 after printing what failed, or 2
// for a command line it does not understand.
func (a *App) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := a.main(ctx, filepath.Base(os.Args[0]), os.Args[1:], processEnv())
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // the usage is printed
		}
		fmt.Fprintln(os.Stderr, commandError(filepath.Base(os.Args[0]), err))
		var usage *usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run is the command line of the export tests: functionjson, or with no argument the
// custom handler.
func (a *App) run(args []string) error {
	if len(args) == 0 {
		return a.listenAndServe()
	}
	if args[0] != "functionjson" {
		return fmt.Errorf("bindings: unknown command %q; expected no arguments (serve) or functionjson [-check] DIR", args[0])
	}
	return a.functionJSON("", args[1:], io.Discard)
}

// commandError is how Main reports err: after the program's name, as commands do, and
// without the package prefixes the errors carry for library callers.
func commandError(prog string, err error) string {
	msg := err.Error()
	for _, p := range []string{"bindings: ", "signalr: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return prog + ": " + msg
}

// usageError is a command line Main does not understand.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// underHost reports whether the Functions host started the process: it passes the port to
// listen on.
func underHost(environ []string) bool {
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if (k == portEnv || k == legacyPortEnv) && v != "" {
			return true
		}
	}
	return false
}

// main is Main with its inputs given.
func (a *App) main(ctx context.Context, prog string, args []string, env localEnv) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "":
		if underHost(env.environ) {
			return a.listenAndServe()
		}
		return a.runLocal(ctx, localConfig{}, env)
	case "start":
		cfg, err := parseStartFlags(args[1:], env.stdout)
		if err != nil {
			return err
		}
		return a.runLocal(ctx, cfg, env)
	case "functionjson":
		return a.functionJSON(prog, args[1:], env.stdout)
	case "help", "-h", "-help", "--help":
		printUsage(env.stdout, prog)
		return nil
	}
	if strings.HasPrefix(cmd, "-") {
		if underHost(env.environ) {
			return &usageError{fmt.Sprintf("flags follow a command, as in `%s start %s`; under the Functions host the program takes no arguments", prog, strings.Join(args, " "))}
		}
		// Flags alone are the start command's, as no argument at all is start.
		cfg, err := parseStartFlags(args, env.stdout)
		if err != nil {
			return err
		}
		return a.runLocal(ctx, cfg, env)
	}
	return &usageError{fmt.Sprintf("unknown command %q; run `%s help` for the usage", cmd, prog)}
}

func printUsage(w io.Writer, prog string) {
	fmt.Fprintf(w, `usage: %[1]s [command]

Commands:
  (none)          run locally (start), or under the Functions host
                  (FUNCTIONS_CUSTOMHANDLER_PORT set) serve as its custom handler
  [start] [-addr host:port] [-v]
                  run the app locally as func start does: local.settings.json,
                  an embedded SignalR Service emulator for each connection setting
                  that is not set, timers, POST /admin/functions/<name>, and a log
                  line per invocation; -v adds SignalR connections, REST calls and
                  upstream calls; -addr defaults to localhost:%[2]d
  functionjson [-check] DIR
                  write host.json and the function.json files into DIR; with
                  -check, fail when the files there differ from the Go code
  help            print this help
`, prog, localPortDefault)
}

// listenAndServe serves the App on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT (or the legacy
// FUNCTIONS_HTTPWORKER_PORT) until SIGTERM or SIGINT, then lets running invocations finish.
func (a *App) listenAndServe() error {
	port := os.Getenv(portEnv)
	if port == "" {
		port = os.Getenv(legacyPortEnv)
	}
	if port == "" {
		return fmt.Errorf("bindings: %s is not set; the Functions host sets it (run under `func start`, or use bindingstest.NewHost for local development)", portEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return fmt.Errorf("bindings: listening on port %s: %w", port, err)
	}
	return a.serve(ctx, ln)
}

// serve serves the App on ln until ctx is done, then shuts down gracefully.
func (a *App) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: a,
		// The host is the only client, on loopback; invocations may legitimately run as long as
		// functionTimeout, so only header reads are bounded.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also stops the shutdown goroutine when serve fails on its own
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
