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
	"syscall"
	"time"
)

// Port environment variables, current and legacy, that the Functions host sets for a custom
// handler.
const (
	portEnv       = "FUNCTIONS_CUSTOMHANDLER_PORT"
	legacyPortEnv = "FUNCTIONS_HTTPWORKER_PORT"
)

// Main is the program's entry point: call it from func main after registering the functions,
// so one binary is both the custom handler and the generator of its own configuration. With
// the command-line arguments
//
//	(none)                      serve the Functions host on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT
//	                            (or the legacy FUNCTIONS_HTTPWORKER_PORT) until SIGTERM or
//	                            SIGINT, then let running invocations finish
//	functionjson DIR            write host.json and one <function>/function.json per function
//	                            into DIR, the layout the host loads (generated from the Go
//	                            declarations; do not edit them by hand)
//	functionjson -check DIR     fail when the files in DIR differ from the declarations,
//	                            naming every missing, different or stale file
//
// such as `go run . functionjson .` in a go:generate line and `go run . functionjson -check .`
// in CI. It exits with status 1 and the error on stderr when it fails.
func (a *App) Main() {
	if err := a.run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is Main without the exit.
func (a *App) run(args []string) error {
	if len(args) == 0 {
		return a.listenAndServe()
	}
	if args[0] != "functionjson" {
		return fmt.Errorf("bindings: unknown command %q; expected no arguments (serve) or functionjson [-check] DIR", args[0])
	}
	fs := flag.NewFlagSet("functionjson", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	check := fs.Bool("check", false, "fail when the files in DIR differ from the Go declarations")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("bindings: functionjson: %w; usage: functionjson [-check] DIR", err)
	}
	if fs.NArg() != 1 {
		return errors.New("bindings: functionjson needs one directory; usage: functionjson [-check] DIR")
	}
	if *check {
		return a.CheckFunctionJSON(fs.Arg(0))
	}
	return a.manifest().Write(fs.Arg(0))
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
