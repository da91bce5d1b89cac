package bindingstest_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// syncBuffer is a bytes.Buffer for writers on several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartLocal is the start command in the test's process: the emulator wired to the webhook,
// the sign-in of ?user=, the invocation log, and nothing written to the environment.
func TestStartLocal(t *testing.T) {
	jsclient.Require(t)
	t.Setenv(signalr.DefaultConnectionSetting, "") // and nothing may set it
	var out syncBuffer
	l, err := bindingstest.StartLocal(chatApp(t), &bindingstest.LocalOptions{Output: &out})
	require.NoError(t, err)
	t.Cleanup(l.Close)
	require.Len(t, l.Emulators, 1)
	assert.Same(t, l.Emulators[0], l.Emulator())
	assert.Contains(t, out.String(), "Listening on "+l.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := jsclient.Start(t, jsclient.Config{URL: l.URL + "api?user=carol"})
	result, err := c.Invoke(ctx, "broadcast", "hello")
	require.NoError(t, err)
	assert.JSONEq(t, `{"echo":"hello","n":3}`, string(result))
	assert.Contains(t, out.String(), "Executed 'Functions.negotiate' (Succeeded")
	assert.Empty(t, os.Getenv(signalr.DefaultConnectionSetting), "the process environment is left alone")
}

// Settings and local.settings.json are read as by the start command, and a bad one stops it.
func TestStartLocalSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "local.settings.json"),
		[]byte(`{"Values":{"AzureSignalRConnectionString":"Endpoint=https://x.service.signalr.net;Version=1.0;"}}`), 0o600))
	_, err := bindingstest.StartLocal(chatApp(t), &bindingstest.LocalOptions{Dir: dir})
	require.ErrorContains(t, err, "setting AzureSignalRConnectionString")

	l, err := bindingstest.StartLocal(chatApp(t), &bindingstest.LocalOptions{Dir: dir,
		Settings: map[string]string{signalr.DefaultConnectionSetting: bindings.EmulatorConnectionString}})
	require.NoError(t, err, "the settings win over the file")
	t.Cleanup(l.Close)
	assert.Len(t, l.Emulators, 1)

	_, err = bindingstest.StartLocal(nil, nil)
	require.Error(t, err)
}

// Options.HandlerAddr pins where the handler listens, as FUNCTIONS_CUSTOMHANDLER_PORT does.
func TestOptionsHandlerAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	host, err := bindingstest.NewHost(chatApp(t), &bindingstest.Options{HandlerAddr: addr, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the App's readiness answer, on the pinned address")
	assert.Contains(t, fmt.Sprint(bindingstest.Options{HandlerAddr: addr}), "HandlerAddr: "+addr)

	_, err = bindingstest.NewHost(chatApp(t), &bindingstest.Options{HandlerAddr: addr, Logger: quiet})
	require.ErrorContains(t, err, "listening for the handler on "+addr)
}
