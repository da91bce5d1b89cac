package bindings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Run runs the App as a program with the given command-line arguments (without the program
// name):
//
//	functionjson [-check] DIR   write host.json and the function.json files into DIR, or with
//	                            -check fail when the files there differ from the declarations
//	(nothing)                   serve the host with ListenAndServe
//
// so one binary is both the custom handler and the generator of its own configuration, e.g.
// `go run . functionjson -check .` in CI.
func (a *App) Run(args []string) error {
	if len(args) == 0 {
		return a.ListenAndServe()
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
	return a.WriteFunctionJSON(fs.Arg(0))
}

// Main calls Run with os.Args and exits with status 1 and the error on stderr when it fails.
func (a *App) Main() {
	if err := a.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
