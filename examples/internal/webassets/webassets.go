// Package webassets serves the browser assets the examples share: the official SignalR
// JavaScript client, vendored so the examples run offline.
package webassets

import (
	"embed"
	"net/http"
)

// SignalRClientVersion is the @microsoft/signalr version of the vendored bundle; it matches the
// version the test harness installs.
const SignalRClientVersion = "10.0.11"

//go:embed signalr.min.js
var files embed.FS

// Handler serves /signalr.min.js.
func Handler() http.Handler {
	return http.FileServerFS(files)
}
