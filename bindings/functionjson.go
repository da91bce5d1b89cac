package bindings

import (
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
)

func init() {
	// The fake host reads an App's declarations through this hook, without importing bindings.
	apphooks.Manifest = func(h http.Handler) (*manifest.Manifest, bool) {
		a, ok := h.(*App)
		if !ok || a == nil {
			return nil, false
		}
		return a.manifest(), true
	}
}

// manifest returns the App's declarations.
func (a *App) manifest() *manifest.Manifest {
	a.mu.RLock()
	defer a.mu.RUnlock()
	fns := make([]manifest.Function, len(a.functions))
	for i, f := range a.functions {
		fns[i] = f.decl
	}
	return &manifest.Manifest{
		Host: manifest.HostConfig{
			ExecutablePath:              a.opts.ExecutablePath,
			Arguments:                   a.opts.Arguments,
			WorkingDirectory:            a.opts.WorkingDirectory,
			EnableForwardingHTTPRequest: a.opts.EnableForwardingHTTPRequest,
			EnableProxyingHTTPRequest:   a.opts.EnableProxyingHTTPRequest,
			RoutePrefix:                 a.routePrefix(),
			ExtensionBundleVersion:      a.opts.ExtensionBundleVersion,
		},
		Functions: fns,
	}
}

// CheckFunctionJSON reports whether the files in dir are exactly the host.json and
// <function>/function.json files Main's functionjson command writes: it names every missing,
// different or stale (undeclared function) file. Call it from a test to catch declarations and
// files drifting apart.
func (a *App) CheckFunctionJSON(dir string) error { return a.manifest().Check(dir) }
