// Package apphooks lets the fake host reach what it needs of a *bindings.App without importing
// package bindings, which will itself run apps behind the fake host. bindings fills the hooks
// in when it is initialised; until then they are nil.
package apphooks

import (
	"io"
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// Manifest returns the declarations of h when it is a *bindings.App.
var Manifest func(h http.Handler) (*manifest.Manifest, bool)

// SetSettings gives h, when it is a *bindings.App, the app settings it reads connection
// settings from (negotiate functions that mint their own tokens): settings returns every app
// setting, with the fake host's stand-ins for setting, as the host would resolve it. It
// reports whether h took them.
var SetSettings func(h http.Handler, settings func(setting string) map[string]string) bool

// LocalConfig is one in-process run of App.Main's start command, for bindingstest.StartLocal.
type LocalConfig struct {
	Addr     string
	Dir      string // where local.settings.json is read; "" reads none
	Settings map[string]string
	Output   io.Writer
	Verbose  bool
}

// LocalServer is a running LocalConfig.
type LocalServer struct {
	URL       string
	Emulators []*signalrtest.Server
	Close     func()
}

// StartLocal runs h, when it is a *bindings.App, as App.Main's start command does, without
// reading or writing the process environment.
var StartLocal func(h http.Handler, cfg LocalConfig) (*LocalServer, error)
