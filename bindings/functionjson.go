package bindings

import (
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
)

// ExtensionBundleID is the id of the extension bundle that carries the SignalR bindings.
const ExtensionBundleID = manifest.ExtensionBundleID

// HostConfig is what this package reads from and writes to host.json.
type HostConfig = manifest.HostConfig

// Manifest is a function app's declarations: host.json and one function.json per function.
type Manifest = manifest.Manifest

// Function is one function's declaration: its name (the function.json folder) and bindings.
type Function = manifest.Function

// Manifest returns the App's declarations.
func (a *App) Manifest() *Manifest {
	return &Manifest{
		Host: HostConfig{
			ExecutablePath:              a.opts.ExecutablePath,
			Arguments:                   a.opts.Arguments,
			WorkingDirectory:            a.opts.WorkingDirectory,
			EnableForwardingHTTPRequest: a.opts.EnableForwardingHTTPRequest,
			EnableProxyingHTTPRequest:   a.opts.EnableProxyingHTTPRequest,
			RoutePrefix:                 a.RoutePrefix(),
			ExtensionBundleVersion:      a.opts.ExtensionBundleVersion,
		},
		Functions: a.Functions(),
	}
}

// WriteFunctionJSON writes host.json and one <function>/function.json per function into dir,
// the layout the Functions host loads. The files are generated from the Go declarations; do
// not edit them by hand (CheckFunctionJSON catches drift). Folders of functions that no longer
// exist are reported by CheckFunctionJSON, never deleted.
func (a *App) WriteFunctionJSON(dir string) error { return a.Manifest().Write(dir) }

// CheckFunctionJSON reports whether the files in dir are exactly what WriteFunctionJSON would
// write: it names every missing, different or stale (undeclared function) file.
func (a *App) CheckFunctionJSON(dir string) error { return a.Manifest().Check(dir) }

// ReadManifest reads host.json and every <function>/function.json in dir, as the host loads
// them: property names ignoring case, the legacy httpWorker section when customHandler is
// absent, routePrefix "api" by default.
func ReadManifest(dir string) (*Manifest, error) { return manifest.Read(dir) }
