// Package apphooks lets the fake host reach what it needs of a *bindings.App without importing
// package bindings, which will itself run apps behind the fake host. bindings fills the hooks
// in when it is initialised; until then they are nil.
package apphooks

import (
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
)

// Manifest returns the declarations of h when it is a *bindings.App.
var Manifest func(h http.Handler) (*manifest.Manifest, bool)

// SetSettings gives h, when it is a *bindings.App, the app settings it reads connection
// settings from (negotiate functions that mint their own tokens): settings returns every app
// setting, with the fake host's stand-ins for setting, as the host would resolve it. It
// reports whether h took them.
var SetSettings func(h http.Handler, settings func(setting string) map[string]string) bool
