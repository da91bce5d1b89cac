package bindingstest

import (
	"errors"
	"io"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// LocalOptions configures StartLocal. A nil *LocalOptions means defaults.
type LocalOptions struct {
	// Addr is the address to listen on; "" means 127.0.0.1 on a free port.
	Addr string
	// Dir is the folder whose local.settings.json is read, as the start command reads the
	// working directory's; "" reads none.
	Dir string
	// Settings lie over local.settings.json's Values, as environment variables do under the
	// start command: an unset connection setting, or one set to
	// bindings.EmulatorConnectionString, gets an emulator.
	Settings map[string]string
	// Output receives what the start command prints: where everything runs, and the Core
	// Tools-style lines of every invocation. nil discards it.
	Output io.Writer
	// Verbose adds the start command's -v lines.
	Verbose bool
}

// Local is an App running as `go run .` runs it (App.Main's start command), in the test's
// process.
type Local struct {
	// URL is the base URL, such as http://127.0.0.1:41234/.
	URL string
	// Emulators are the embedded SignalR Service emulators, in the order of the settings they
	// stand behind; empty when the settings name real services.
	Emulators []*signalrtest.Server

	close func()
}

// Emulator is the first of Emulators, nil when there is none.
func (l *Local) Emulator() *signalrtest.Server {
	if len(l.Emulators) == 0 {
		return nil
	}
	return l.Emulators[0]
}

// Close stops the app's local environment: timers, the host (letting requests in flight
// finish) and the emulators.
func (l *Local) Close() { l.close() }

// StartLocal runs app exactly as `go run .` does with the start command: the settings
// (local.settings.json from Dir, then Settings) checked at startup, an emulator for each
// connection setting left unset with its upstream wired to the webhook, the sign-in of the
// user a page names with ?user=, timers, the admin endpoint and the invocation log. Unlike the
// command it leaves the process environment alone, so tests may run in parallel: the App
// reads its settings from the host, as from its environment under the Functions host. It
// fails as the command does, with a bad setting or schedule, or an address in use.
func StartLocal(app *bindings.App, opts *LocalOptions) (*Local, error) {
	if apphooks.StartLocal == nil || app == nil {
		return nil, errors.New("bindingstest: StartLocal needs a *bindings.App")
	}
	if opts == nil {
		opts = &LocalOptions{}
	}
	s, err := apphooks.StartLocal(app, apphooks.LocalConfig{
		Addr: opts.Addr, Dir: opts.Dir, Settings: opts.Settings, Output: opts.Output, Verbose: opts.Verbose,
	})
	if err != nil {
		return nil, err
	}
	return &Local{URL: s.URL, Emulators: s.Emulators, close: s.Close}, nil
}
