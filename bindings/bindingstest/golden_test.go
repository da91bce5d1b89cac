package bindingstest_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata")

// fixedGUIDs returns GUIDs in sequence, so payloads are reproducible.
func fixedGUIDs() func() string {
	ids := []string{"5f3c0c1e-8c1a-4d0e-9d3b-0a6f2d9b1c01", "5f3c0c1e-8c1a-4d0e-9d3b-0a6f2d9b1c02", "5f3c0c1e-8c1a-4d0e-9d3b-0a6f2d9b1c03"}
	i := 0
	return func() string {
		id := ids[i%len(ids)]
		i++
		return id
	}
}

// TestGoldenPayloads pins the exact bytes the host sends for an HTTP trigger with a JSON body
// and for a SignalR trigger, so any change to the wire format is a visible diff.
func TestGoldenPayloads(t *testing.T) {
	f := newFixture(t, chatApp(t), &bindingstest.Options{
		Now:     func() time.Time { return time.Date(2026, 11, 23, 13, 14, 3, 123456700, time.UTC) },
		NewGUID: fixedGUIDs(),
	})

	req, err := http.NewRequest(http.MethodPost, f.host.URL+"/api/messages?room=a%20b&tag=x&tag=y", strings.NewReader(`{"text":"<hi> & \"bye\"","n":2,"meta":{"a":[1,2.50]},"list":[1],"none":null}`))
	require.NoError(t, err)
	req.Host = "localhost:7071"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "golden")
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)

	resp, body := upstreamRequest{connID: "conn-1", hub: "chat", category: "messages", event: "broadcast", user: "alice",
		contentType: "application/json", body: []byte(`{"type":1,"invocationId":"1","target":"broadcast","arguments":["<hi>"]}`),
		key: f.srv.AccessKeys()[0]}.send(t, f)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	invs := f.host.Invocations()
	require.Len(t, invs, 2)
	for i, name := range []string{"http_payload.json", "signalr_payload.json"} {
		got := redactVolatile(string(invs[i].Request), f)
		path := filepath.Join("testdata", name)
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(got+"\n"), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSuffix(string(want), "\n"), got, name)
	}
	assert.Equal(t, bindings.DefaultConnectionStringSetting, "AzureSignalRConnectionString")
}

// redactVolatile replaces what differs between runs: the emulator's port and the signature.
func redactVolatile(s string, f *fixture) string {
	s = strings.ReplaceAll(s, strings.TrimPrefix(f.srv.URL, "http://"), "emulator")
	if i := strings.Index(s, `"X-Asrs-Signature":"`); i >= 0 {
		end := strings.Index(s[i+len(`"X-Asrs-Signature":"`):], `"`)
		s = s[:i] + `"X-Asrs-Signature":"sha256=…"` + s[i+len(`"X-Asrs-Signature":"`)+end+1:]
	}
	return s
}
