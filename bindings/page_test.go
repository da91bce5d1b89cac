package bindings_test

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
func TestPage(t *testing.T) {
	t.Parallel()
	app := bindings.NewApp(nil)
	require.NoError(t, app.Page("web", fstest.MapFS{
		"index.html":     {Data: []byte("<title>demo</title>")},
		"app.js":         {Data: []byte("console.log('hi')")},
		"css/site.css":   {Data: []byte("body{}")},
		"logo.png":       {Data: []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe}},
		"unknown.ext-zz": {Data: []byte("text")},
	}, nil))
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
		{"/api/web/missing.js", http.StatusNotFound, "application/json", `no such file: \"missing.js\"`, ""},
		{"/api/web/logo.png", http.StatusNotFound, "application/json", "is not UTF-8 text", ""},
		{"/api/web/../app.go", http.StatusNotFound, "", "", ""},
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

func TestPageDeclaration(t *testing.T) {
	t.Parallel()
	app := bindings.NewApp(nil)
	require.ErrorContains(t, app.Page("web", nil, nil), `page "web" needs its files`)
	page := fstest.MapFS{"index.html": {Data: []byte("x")}, "signalr.min.js": {Data: []byte("// mine")}}
	require.NoError(t, app.Page("web", page, &bindings.PageOptions{AuthLevel: bindings.AuthLevelFunction}))
	require.Error(t, app.Page("web", page, nil), "a second function of the same name")
	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	b, err := os.ReadFile(filepath.Join(dir, "web", "function.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"bindings":[
		{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"],"route":"web/{*path}"},
		{"type":"http","direction":"out","name":"res"}]}`, string(b))

	// A page's own signalr.min.js wins over the bundled one.
	host, err := bindingstest.NewHost(app, nil)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	resp, err := http.Get(host.URL + "/api/web/signalr.min.js")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, "// mine", string(body))
}

// The bundled client is the version the test harness installs, so pages run the client the
// conformance tests judge the emulator with.
func TestPageBundleVersionMatchesHarness(t *testing.T) {
	t.Parallel()
	app := bindings.NewApp(nil)
	require.NoError(t, app.Page("web", fstest.MapFS{}, nil))
	host, err := bindingstest.NewHost(app, nil)
	require.NoError(t, err)
	t.Cleanup(host.Close)
	resp, err := http.Get(host.URL + "/api/web/signalr.min.js")
	require.NoError(t, err)
	bundle, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	firstLine, _, _ := strings.Cut(string(bundle), "\n")
	assert.Contains(t, firstLine, "@microsoft/signalr "+bindings.SignalRClientVersion+" ")

	raw, err := os.ReadFile(filepath.Join("..", "internal", "jsclient", "package.json"))
	require.NoError(t, err)
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(raw, &pkg))
	assert.Equal(t, bindings.SignalRClientVersion, strings.TrimLeft(pkg.Dependencies["@microsoft/signalr"], "^~="))
}
