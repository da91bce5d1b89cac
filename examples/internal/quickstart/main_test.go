package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// The README's quickstart works: negotiate answers, and broadcast reaches the service.
func TestQuickstart(t *testing.T) {
	t.Parallel()
	app, err := newApp()
	require.NoError(t, err)
	srv := signalrtest.NewServer(nil)
	t.Cleanup(srv.Close)
	host, err := bindingstest.NewHost(app, &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	resp, err := http.Post(host.URL+"/api/negotiate", "", nil)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, err = http.Post(host.URL+"/api/broadcast", "text/plain", strings.NewReader("hello"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Eventually(t, func() bool {
		for _, c := range srv.RESTCalls() {
			if c.Path == "/api/hubs/chat/:send" && strings.Contains(string(c.Body), `"hello"`) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
}
