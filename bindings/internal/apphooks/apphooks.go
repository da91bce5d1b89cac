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
