// Package webassets serves the examples' web pages from the function app itself, next to the
// official SignalR JavaScript client, vendored so the examples run offline.
//
// The page is an HTTP function (Register), not a separate static site, so it is served the same
// way under the Functions host in Azure and locally: same origin as the other functions (no
// CORS, and App Service authentication cookies reach them), nothing to deploy besides the app.
package webassets

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings"
)

// SignalRClientVersion is the @microsoft/signalr version of the vendored bundle; it matches the
// version the test harness installs.
const SignalRClientVersion = "10.0.11"

// FunctionName is the name of the page function; its route is FunctionName/{*path}.
const FunctionName = "web"

// clientBundle is the file name the pages load the SignalR client from.
const clientBundle = "signalr.min.js"

//go:embed signalr.min.js
var files embed.FS

// registered holds the apps Register added a page to.
var registered sync.Map // *bindings.App → struct{}

// Register adds the page function to app: GET <prefix>/web/ serves page's index.html,
// <prefix>/web/<file> its other files and signalr.min.js the SignalR client.
func Register(app *bindings.App, page fs.FS) error {
	if page == nil {
		return errors.New("webassets: Register needs the page's files")
	}
	err := app.HTTP(FunctionName, &bindings.HTTPOptions{
		Route:     FunctionName + "/{*path}",
		Methods:   []string{"get"},
		AuthLevel: bindings.AuthLevelAnonymous,
	}, pageFunction(page))
	if err == nil {
		registered.Store(app, struct{}{})
	}
	return err
}

// Registered reports whether Register added the page to app.
func Registered(app *bindings.App) bool {
	_, ok := registered.Load(app)
	return ok
}

// PagePath is the URL path of the page Register serves under the route prefix, such as
// /api/web/ for the default prefix "api".
func PagePath(routePrefix string) string {
	if prefix := strings.Trim(routePrefix, "/"); prefix != "" {
		return "/" + prefix + "/" + FunctionName + "/"
	}
	return "/" + FunctionName + "/"
}

func pageFunction(page fs.FS) bindings.HandlerFunc {
	return func(_ context.Context, inv *bindings.Invocation) error {
		req, err := inv.HTTPRequest()
		if err != nil {
			return err
		}
		name := req.Params["path"]
		if name == "" {
			// The page's relative links need the trailing slash.
			if u := strings.SplitN(req.URL, "?", 2)[0]; !strings.HasSuffix(u, "/") {
				return inv.Respond(http.StatusMovedPermanently, http.Header{"Location": {FunctionName + "/"}}, nil)
			}
			name = "index.html"
		}
		body, err := read(page, name)
		if err != nil {
			return inv.Respond(http.StatusNotFound, nil, map[string]string{"error": "no such file: " + name})
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		return inv.Respond(http.StatusOK, http.Header{
			"Content-Type":           {ctype},
			"Cache-Control":          {"no-cache"},
			"X-Content-Type-Options": {"nosniff"},
		}, body)
	}
}

// read returns a file of page, or the vendored client. Paths that leave the page are refused.
func read(page fs.FS, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", fs.ErrNotExist
	}
	src := page
	if name == clientBundle {
		src = files
	}
	b, err := fs.ReadFile(src, name)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		// An invocation payload carries text only; binary files need another host.
		return "", fmt.Errorf("webassets: %s is not UTF-8 text", name)
	}
	return string(b), nil
}
