package webassets

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path   string
		status int
	}{
		{"/signalr.min.js", http.StatusOK},
		{"/missing.js", http.StatusNotFound},
		{"/webassets.go", http.StatusNotFound},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		assert.Equal(t, tt.status, rec.Code, tt.path)
		if tt.status == http.StatusOK {
			assert.Contains(t, rec.Header().Get("Content-Type"), "javascript")
			body, err := io.ReadAll(rec.Body)
			require.NoError(t, err)
			assert.Contains(t, string(body), "HubConnectionBuilder")
		}
	}
}

// The vendored bundle is the version the test harness installs, so the pages run the client
// the conformance tests judge the emulator with.
func TestBundleVersionMatchesHarness(t *testing.T) {
	t.Parallel()
	bundle, err := files.ReadFile("signalr.min.js")
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
