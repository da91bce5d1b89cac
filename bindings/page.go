package bindings

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings/internal/webclient"
)

// SignalRClientVersion is the version of the official @microsoft/signalr browser client that
// App.Page serves as signalr.min.js.
const SignalRClientVersion = webclient.Version

// PageOptions configures a page function. A nil pointer means defaults.
type PageOptions struct {
	// AuthLevel defaults to AuthLevelAnonymous: a browser opening a page sends no function key.
	AuthLevel AuthLevel
}

// Page registers an HTTP function named name that serves a web page from files, such as an
// embed.FS: GET <prefix>/<name>/ answers files' index.html, <prefix>/<name>/<file> its other
// files, and <prefix>/<name>/signalr.min.js the official SignalR browser client
// (SignalRClientVersion) unless files has its own, so the page loads it with
// <script src="signalr.min.js"> and needs no CDN. The page is served by the function app
// itself, the same way in Azure and locally: the same origin as the other functions, so no
// CORS, and App Service authentication cookies reach them. The host carries text only, so
// files must be UTF-8 text; anything else answers 404 with a JSON error saying why. Locally,
// App.Main's start command sends / to the first page.
func (a *App) Page(name string, files fs.FS, opts *PageOptions) error {
	if files == nil {
		return fmt.Errorf("bindings: page %q needs its files", name)
	}
	if opts == nil {
		opts = &PageOptions{}
	}
	level := opts.AuthLevel
	if level == "" {
		level = AuthLevelAnonymous
	}
	err := a.HTTP(name, &HTTPOptions{Route: name + "/{*path}", Methods: []string{"get"}, AuthLevel: level}, pageHandler(name, files))
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.local.page == "" {
		a.local.page = "/" + name + "/"
		if prefix := a.routePrefix(); prefix != "" {
			a.local.page = "/" + prefix + a.local.page
		}
	}
	return nil
}

// pagePath is the URL path of the App's first page, "" when it has none.
func (a *App) pagePath() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.local.page
}

func pageHandler(name string, files fs.FS) HandlerFunc {
	return func(_ context.Context, inv *Invocation) error {
		req, err := inv.HTTPRequest()
		if err != nil {
			return err
		}
		file := req.Params["path"]
		if file == "" {
			// The page's relative links need the trailing slash.
			if u, _, _ := strings.Cut(req.URL, "?"); !strings.HasSuffix(u, "/") {
				return inv.Respond(http.StatusMovedPermanently, http.Header{"Location": {name + "/"}}, nil)
			}
			file = "index.html"
		}
		body, err := readPageFile(files, file)
		if err != nil {
			return inv.Respond(http.StatusNotFound, nil, map[string]string{"error": err.Error()})
		}
		ctype := mime.TypeByExtension(path.Ext(file))
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

// readPageFile returns a file of the page, or the bundled SignalR client. Paths that leave the
// page are refused.
func readPageFile(files fs.FS, name string) (string, error) {
	if !fs.ValidPath(name) || name == "." {
		return "", fmt.Errorf("no such file: %q", name)
	}
	b, err := fs.ReadFile(files, name)
	if errors.Is(err, fs.ErrNotExist) && name == webclient.FileName {
		return webclient.Bundle, nil
	}
	if err != nil {
		return "", fmt.Errorf("no such file: %q", name)
	}
	if !utf8.Valid(b) {
		// An invocation carries text only; binary files need another server.
		return "", fmt.Errorf("%q is not UTF-8 text, and the Functions host carries text only", name)
	}
	return string(b), nil
}
