package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// The golden files of package bindings (written by App.Main's functionjson command) read back
// as the declarations they came from.
func TestReadGoldenFiles(t *testing.T) {
	m, err := Read(filepath.Join("..", "..", "testdata", "functions"))
	require.NoError(t, err)
	assert.Equal(t, "api", m.Host.RoutePrefix)
	assert.Equal(t, "chat", m.Host.ExecutablePath)
	assert.Equal(t, DefaultExtensionBundleVersion, m.Host.ExtensionBundleVersion)
	require.Len(t, m.Functions, 4)
	f, ok := m.Function("CONNECTED")
	require.True(t, ok, "names match without case")
	trig, ok := f.Trigger()
	require.True(t, ok)
	assert.Equal(t, "ChatConnection", trig.Setting())

	m, err = Read(filepath.Join("..", "..", "testdata", "endpoints"))
	require.NoError(t, err)
	neg, ok := m.Functions[1].Find(TypeSignalRNegotiation, DirectionIn)
	require.True(t, ok)
	assert.Equal(t, "ChatConnection", neg.Setting())
	eps, ok := m.Functions[0].Find(TypeSignalREndpoints, DirectionIn)
	require.True(t, ok)
	assert.Equal(t, signalr.DefaultConnectionSetting, eps.Setting())
	assert.Equal(t, "AzureSignalRConnectionString", eps.Setting())

	// Written again, the declarations give the same files.
	dir := t.TempDir()
	require.NoError(t, m.Write(dir))
	require.NoError(t, m.Check(filepath.Join("..", "..", "testdata", "endpoints")))
	again, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, m, again)
}

func TestReadLegacyAndErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(dir)
	require.ErrorContains(t, err, "reading host.json")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte(`{"version":"2.0"}`), 0o644))
	_, err = Read(dir)
	require.ErrorContains(t, err, "no customHandler section")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte(`{"version":"2.0","httpWorker":{"description":{"defaultExecutablePath":"old"}}}`), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "q"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "q", "function.json"),
		[]byte(`{"bindings":[{"Type":"queueTrigger","Direction":"IN","Name":"msg","queueName":"jobs","connection":"Storage"}]}`), 0o644))
	m, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, "old", m.Host.ExecutablePath)
	assert.True(t, m.Host.LegacyHTTPWorker)
	assert.Equal(t, "api", m.Host.RoutePrefix, "default route prefix")
	require.Len(t, m.Functions, 1)
	b := m.Functions[0].Bindings[0]
	assert.Equal(t, DirectionIn, b.Direction, "direction normalised")
	assert.Equal(t, "Storage", b.Connection)
	assert.Equal(t, "Storage", b.Setting())
	assert.Equal(t, map[string]any{"queueName": "jobs"}, b.Extra)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "q", "function.json"), []byte(`{"bindings":[{"type":"http","direction":"out","name":"res"}]}`), 0o644))
	_, err = Read(dir)
	require.ErrorContains(t, err, "has 0 triggers")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "q", "function.json"), []byte(`{"bindings":{}}`), 0o644))
	_, err = Read(dir)
	require.ErrorContains(t, err, "q/function.json is not valid")
}

func TestBindingJSONRoundTrip(t *testing.T) {
	b := Binding{Type: "queue", Direction: DirectionOut, Name: "jobs", Extra: map[string]any{"queueName": "work", "connection2": "X"}}
	j, err := json.Marshal(b)
	require.NoError(t, err)
	assert.Equal(t, `{"type":"queue","direction":"out","name":"jobs","connection2":"X","queueName":"work"}`, string(j))
	var back Binding
	require.NoError(t, json.Unmarshal(j, &back))
	assert.Equal(t, b, back)

	_, err = json.Marshal(Binding{Type: "queue", Direction: DirectionOut, Name: "jobs", Extra: map[string]any{"Route": "x"}})
	require.ErrorContains(t, err, "shadows a known property")
	require.Error(t, json.Unmarshal([]byte(`{"type":1}`), &back))
	require.Error(t, json.Unmarshal([]byte(`[]`), &back))
}

func TestCheckNamesDrift(t *testing.T) {
	m, err := Read(filepath.Join("..", "..", "testdata", "functions"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, m.Write(dir))
	require.NoError(t, m.Check(dir))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "messages", "function.json"), []byte("{}\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "broadcast", "function.json")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "old"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "old", "function.json"), []byte("{}\n"), 0o644))
	err = m.Check(dir)
	require.Error(t, err)
	for _, want := range []string{"messages/function.json differs", "broadcast/function.json is missing", "old/function.json belongs to no declared function", "functionjson"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.False(t, strings.Contains(err.Error(), "WriteFunctionJSON"))
}
