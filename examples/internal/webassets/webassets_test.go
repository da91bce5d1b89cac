package webassets

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
)

// The page function through the fake Functions host, which routes the catch-all route and
// checks the HTTP output as Azure does.
func TestPageFunction(t *testing.T) {
	t.Parallel()
	app := bindings.NewApp(nil)
	require.NoError(t, Register(app, fstest.MapFS{
		"index.html":     {Data: []byte("<title>demo</title>")},
		"app.js":         {Data: []byte("console.log('hi')")},
		"css/site.css":   {Data: []byte("body{}")},
		"logo.png":       {Data: []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe}},
		"unknown.ext-zz": {Data: []byte("text")},
	}))
	host, err := bindingstest.NewHost(app, nil)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		path     string
		status   int
		ctype    string
		body     string
		location string
	}{
		{"/api/web", http.StatusMovedPermanently, "", "", "web/"},
		{"/api/web/", http.StatusOK, "text/html", "<title>demo</title>", ""},
		{"/api/web/?x=1", http.StatusOK, "text/html", "<title>demo</title>", ""},
		{"/api/web/app.js", http.StatusOK, "javascript", "console.log('hi')", ""},
		{"/api/web/css/site.css", http.StatusOK, "text/css", "body{}", ""},
		{"/api/web/signalr.min.js", http.StatusOK, "javascript", "HubConnectionBuilder", ""},
		{"/api/web/unknown.ext-zz", http.StatusOK, "application/octet-stream", "text", ""},
		{"/api/web/missing.js", http.StatusNotFound, "application/json", "no such file", ""},
		{"/api/web/logo.png", http.StatusNotFound, "application/json", "no such file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			resp, err := noRedirect.Get(host.URL + tt.path)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), tt.ctype)
			assert.Contains(t, string(body), tt.body)
			assert.Equal(t, tt.location, resp.Header.Get("Location"))
			if resp.StatusCode == http.StatusOK {
				assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			}
		})
	}
}

func TestReadStaysInsideThePage(t *testing.T) {
	t.Parallel()
	page := fstest.MapFS{"index.html": {Data: []byte("x")}}
	for _, name := range []string{"../webassets.go", "/etc/passwd", "a/../index.html", "", "."} {
		_, err := read(page, name)
		assert.Error(t, err, name)
	}
	body, err := read(page, "index.html")
	require.NoError(t, err)
	assert.Equal(t, "x", body)
}

func TestRegisterAndPagePath(t *testing.T) {
	t.Parallel()
	app := bindings.NewApp(nil)
	require.ErrorContains(t, Register(app, nil), "needs the page's files")
	assert.False(t, Registered(app))
	require.NoError(t, Register(app, fstest.MapFS{"index.html": {Data: []byte("x")}}))
	assert.True(t, Registered(app))
	assert.False(t, Registered(bindings.NewApp(nil)))
	assert.Equal(t, "/api/web/", PagePath("api"))
	assert.Equal(t, "/web/", PagePath(""))
}

// The vendored bundle is the version the test harness installs, so the pages run the client
// the conformance tests judge the emulator with.
func TestBundleVersionMatchesHarness(t *testing.T) {
	t.Parallel()
	bundle, err := files.ReadFile(clientBundle)
	require.NoError(t, err)
	firstLine, _, _ := strings.Cut(string(bundle), "\n")
	assert.Contains(t, firstLine, "@microsoft/signalr "+SignalRClientVersion+" ")

	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "jsclient", "package.json"))
	require.NoError(t, err)
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(raw, &pkg))
	assert.Equal(t, SignalRClientVersion, strings.TrimLeft(pkg.Dependencies["@microsoft/signalr"], "^~="))
}
