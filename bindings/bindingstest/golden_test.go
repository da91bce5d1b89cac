package bindingstest_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// goldenKey signs the golden upstream request; the payload carries the signature.
const goldenKey = "Z29sZGVuLWtleS1nb2xkZW4ta2V5LWdvbGRlbi1rZXk="

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

// TestGoldenPayloads compares the bytes the fake host sends for an HTTP trigger with a JSON
// body and for a SignalR trigger with the payloads in testdata, written by hand from the
// protocol notes (testdata/README.md says where each part comes from). The handler is a plain
// http.Handler and the declarations are function.json files written here.
func TestGoldenPayloads(t *testing.T) {
	dir := writeFunctions(t, `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"}}}`, map[string]string{
		"messages":  `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["post"],"route":"messages/{id?}"},{"type":"http","direction":"out","name":"res"}]}`,
		"broadcast": `{"bindings":[{"type":"signalRTrigger","direction":"in","name":"invocation","hubName":"chat","category":"messages","event":"broadcast","parameterNames":["message","extra"]}]}`,
	})
	handler := &rawHandler{status: 200, contentType: "application/json", body: `{"Outputs":{},"Logs":[],"ReturnValue":null}`}
	host, err := bindingstest.NewHost(handler, &bindingstest.Options{
		FunctionsDir:            dir,
		SignalRConnectionString: "Endpoint=http://localhost:1;AccessKey=" + goldenKey + ";Version=1.0;",
		Logger:                  quiet,
		Now:                     func() time.Time { return time.Date(2026, 11, 23, 13, 14, 3, 123456700, time.UTC) },
		NewGUID:                 fixedGUIDs(),
	})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	body := `{"text":"<hi> & \"bye\"","n":2,"ok":true,"ratio":2.50,"at":"2024-01-02T03:04:05.123Z","meta":{"a":[1,2.50]},"list":[1],"none":null}`
	resp := send(t, http.MethodPost, host.URL+"/api/messages?room=a%20b&tag=x&tag=y&code=k", "localhost:7071", http.Header{
		"Content-Type":             {"application/json"},
		"User-Agent":               {"golden"},
		"Accept-Encoding":          {"identity"},
		"x-ms-client-principal-id": {"alice"},
	}, body)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp = send(t, http.MethodPost, host.URL+bindingstest.WebhookPath, "localhost:7071", http.Header{
		"Content-Type":         {"application/json"},
		"X-ASRS-Connection-Id": {"conn-1"},
		"X-ASRS-Hub":           {"chat"},
		"X-ASRS-Category":      {"messages"},
		"X-ASRS-Event":         {"broadcast"},
		"X-ASRS-User-Id":       {"alice"},
		"X-ASRS-Client-Query":  {"?hub=chat&id=abc&id=def"},
		"X-ASRS-User-Claims":   {"asrs.s.uid: alice, role: admin, role: user"},
		"X-ASRS-Signature":     {trigger.Signature(goldenKey, "conn-1")},
		"Authorization":        {"Bearer token"},
		"User-Agent":           {"golden"},
		"Accept-Encoding":      {"identity"},
	}, `{"type":1,"invocationId":"1","target":"broadcast","arguments":["<hi>",null]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	invs := host.Invocations()
	require.Len(t, invs, 2)
	for i, name := range []string{"http_payload.json", "signalr_payload.json"} {
		want, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSuffix(string(want), "\n"), string(invs[i].Request), name)
	}
}

// send makes a request with the header names exactly as given (net/http would canonicalize
// them with Header.Set) and a chosen Host.
func send(t *testing.T, method, url, host string, header http.Header, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body == "" {
		req.Body = nil
	}
	if host != "" {
		req.Host = host
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
