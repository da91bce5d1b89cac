package fakehost

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The local runner's host serves an app for days: with DiscardRecords it keeps nothing per
// invocation, where a test's host keeps every request, answer and log line for inspection.
func TestDiscardRecordsHoldsNothingPerInvocation(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte(`{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"handler"}}}`), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "ping"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ping", "function.json"), []byte(`{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous"},{"type":"http","direction":"out","name":"res"}]}`), 0o644))
	line := strings.Repeat("x", 16<<10)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Outputs":{"res":{"statusCode":200,"body":"ok"}},"Logs":["`+line+`"]}`)
	})
	const calls = 300
	body := strings.Repeat("y", 16<<10)

	for _, tt := range []struct {
		name    string
		hooks   Hooks
		records int
	}{
		{"test host keeps every invocation", Hooks{}, calls},
		{"local runner keeps none", Hooks{DiscardRecords: true}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewWithHooks(handler, &Options{FunctionsDir: dir, Logger: slog.New(slog.DiscardHandler)}, tt.hooks)
			require.NoError(t, err)
			t.Cleanup(h.Close)
			before := heapInUse()
			for range calls {
				resp, err := http.Post(h.URL+"/api/ping", "text/plain", strings.NewReader(body))
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode)
			}
			grown := int64(heapInUse()) - int64(before)
			assert.Len(t, h.Invocations(), tt.records)
			assert.Len(t, h.Logs(), tt.records)
			if tt.records == 0 {
				// 300 calls carry ~10 MB of requests, answers and log lines; none of it stays.
				assert.Less(t, grown, int64(2<<20), "heap grew by %d bytes", grown)
			} else {
				t.Logf("heap grew by %.1f MiB keeping %d invocations", float64(grown)/(1<<20), calls)
			}
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
