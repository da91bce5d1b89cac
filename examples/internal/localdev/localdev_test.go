package localdev

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/negotiate"
)

func TestPageURL(t *testing.T) {
	t.Parallel()
	const bound = "http://127.0.0.1:40123"
	tests := []struct{ asked, want string }{
		{"localhost:7071", "http://localhost:40123/"},
		{"127.0.0.1:0", "http://127.0.0.1:40123/"},
		{":0", "http://localhost:40123/"},
		{"0.0.0.0:7071", "http://localhost:40123/"},
		{"[::]:7071", "http://localhost:40123/"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pageURL(tt.asked, bound), tt.asked)
	}
}

// testApp is a two-function app for hub "demo": negotiate, and the page.
func testApp(env Env) (*bindings.App, error) {
	app := bindings.NewApp(nil)
	return app, errors.Join(
		app.Negotiate("negotiate", "demo", &bindings.NegotiateOptions{AuthLevel: bindings.AuthLevelAnonymous}),
		webassets.Register(app, fstest.MapFS{"index.html": {Data: []byte("<h1>demo page</h1>")}}),
	)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestStartServesPageFunctionsAndClient(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	var built Env
	s, err := Start(Config{
		Name:   "demo",
		Build:  func(env Env) (*bindings.App, error) { built = env; return testApp(env) },
		Addr:   "127.0.0.1:0",
		Stdout: &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NotNil(t, s.Emulator())
	require.NotNil(t, s.Host())
	assert.Equal(t, s.Emulator().ConnectionString(), built.ConnectionString)
	assert.True(t, built.Development)
	assert.Equal(t, s.Emulator().ConnectionString(), built.Settings[bindings.DefaultConnectionStringSetting])
	assert.False(t, built.HasEndpointSettings())
	require.NotNil(t, built.OnClose)
	closed := make(chan struct{})
	built.OnClose(func() { close(closed) })

	assert.Contains(t, out.String(), "open "+s.URL)
	assert.Contains(t, out.String(), "serving negotiate")
	assert.Contains(t, out.String(), "emulator at "+s.Emulator().URL+", live trace at "+s.Emulator().URL+"/trace/")
	assert.NotContains(t, out.String(), "AccessKey", "the access key stays out of the output")

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/api/web/", resp.Header.Get("Location"), "/ leads to the page")
	status, body := get(t, s.URL)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "demo page")
	status, _ = get(t, s.URL+"other")
	assert.Equal(t, http.StatusNotFound, status)

	status, body = get(t, s.URL+"api/negotiate")
	require.Equal(t, http.StatusOK, status, body)
	var info negotiate.ConnectionInfo
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Equal(t, s.Emulator().URL+"/client/?hub=demo", info.URL)
	assert.NotEmpty(t, info.AccessToken)

	// Events reach the host's webhook: an unsigned request is refused there, not missing.
	resp, err = http.Post(s.URL+"runtime/webhooks/signalr", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.NotEqual(t, http.StatusNotFound, resp.StatusCode)
	require.NoError(t, s.Close())
	select {
	case <-closed:
	default:
		t.Fatal("Close did not run what the app registered with OnClose")
	}
}

// With -endpoints 2 the second emulator is a named endpoint: the bindings fan out to both and
// route negotiations between them.
func TestStartWithSeveralEndpoints(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	var built Env
	s, err := Start(Config{
		Name:      "demo",
		Build:     func(env Env) (*bindings.App, error) { built = env; return testApp(env) },
		Addr:      "127.0.0.1:0",
		Endpoints: 2,
		Stdout:    &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	emus := s.Emulators()
	require.Len(t, emus, 2)
	assert.Same(t, emus[0], s.Emulator())
	assert.Equal(t, emus[0].ConnectionString(), built.ConnectionString)
	assert.Equal(t, emus[1].ConnectionString(), built.Settings["Azure__SignalR__Endpoints__emulator2"])
	assert.True(t, built.HasEndpointSettings())
	assert.Contains(t, out.String(), "emulator at "+emus[1].URL+" (Azure__SignalR__Endpoints__emulator2), live trace at "+emus[1].URL+"/trace/")
	assert.NotContains(t, out.String(), "AccessKey", "the access keys stay out of the output")

	urls := map[string]bool{}
	for range 40 {
		status, body := get(t, s.URL+"api/negotiate")
		require.Equal(t, http.StatusOK, status, body)
		var info negotiate.ConnectionInfo
		require.NoError(t, json.Unmarshal([]byte(body), &info))
		urls[info.URL] = true
	}
	assert.Equal(t, map[string]bool{emus[0].URL + "/client/?hub=demo": true, emus[1].URL + "/client/?hub=demo": true}, urls,
		"both primaries are chosen at random")
}

func TestStartWithServiceConnectionString(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := Start(Config{
		Name:             "demo",
		Build:            testApp,
		Addr:             "127.0.0.1:0",
		ConnectionString: "Endpoint=https://demo.service.signalr.net;AccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0;Version=1.0;",
		Stdout:           &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	assert.Nil(t, s.Emulator())
	assert.Contains(t, out.String(), "Azure SignalR Service from AzureSignalRConnectionString")
	assert.NotContains(t, out.String(), "c2VjcmV0", "the access key stays out of the output")

	status, body := get(t, s.URL+"api/negotiate")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"url":"https://demo.service.signalr.net/client/?hub=demo"`)
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	_, err := Start(Config{})
	require.ErrorContains(t, err, "needs a Build function")
	_, err = Start(Config{Build: func(Env) (*bindings.App, error) { return nil, errors.New("no app today") }, Addr: "127.0.0.1:0"})
	require.ErrorContains(t, err, "no app today")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	_, err = Start(Config{Build: testApp, Addr: ln.Addr().String()})
	require.ErrorContains(t, err, "choose another address with -addr")

	_, err = Start(Config{Build: testApp, Addr: "127.0.0.1:0", Endpoints: -1})
	require.ErrorContains(t, err, "-1 endpoints asked for; expected 1 to 8")
	_, err = Start(Config{Build: testApp, Addr: "127.0.0.1:0", Endpoints: 2,
		ConnectionString: "Endpoint=https://demo.service.signalr.net;AccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0;Version=1.0;"})
	require.ErrorContains(t, err, "Azure__SignalR__Endpoints__<name>")
	assert.NotContains(t, err.Error(), "c2VjcmV0")
}

func TestMainArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown argument", []string{"serve"}, `unexpected argument "serve"`},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined"},
		{"bad address", []string{"-addr", "nonsense"}, "on nonsense"},
		{"help", []string{"-h"}, "help requested"},
		{"too many endpoints", []string{"-endpoints", "9", "-addr", "127.0.0.1:0"}, "9 endpoints asked for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(bindings.PortEnv, "")
			t.Setenv(bindings.LegacyPortEnv, "")
			var stderr bytes.Buffer
			err := Main(context.Background(), "demo", testApp, tt.args, io.Discard, &stderr)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestMainFunctionJSON(t *testing.T) {
	t.Setenv(bindings.PortEnv, "")
	dir := t.TempDir()
	require.NoError(t, Main(context.Background(), "demo", testApp, []string{"functionjson", dir}, io.Discard, io.Discard))
	app, err := testApp(Env{})
	require.NoError(t, err)
	require.NoError(t, app.CheckFunctionJSON(dir))
	require.NoError(t, Main(context.Background(), "demo", testApp, []string{"functionjson", "-check", dir}, io.Discard, io.Discard))
}

// Under the Functions host the program is the custom handler, serving on the port it is given.
func TestMainUnderFunctionsHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	t.Setenv(bindings.PortEnv, port)
	t.Setenv(EnvironmentSetting, "Development")

	done := make(chan error, 1)
	envs := make(chan Env, 1)
	go func() {
		done <- Main(context.Background(), "demo", func(env Env) (*bindings.App, error) { envs <- env; return testApp(env) }, nil, io.Discard, io.Discard)
	}()
	env := <-envs
	assert.True(t, env.Development, "func start is development")
	assert.Empty(t, env.ConnectionString, "settings come from the environment")
	assert.Nil(t, env.Settings, "settings come from the environment")
	require.NotNil(t, env.OnClose)
	closed := make(chan struct{})
	env.OnClose(func() { close(closed) })
	url := "http://127.0.0.1:" + port + "/"
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the custom handler answers the host's readiness probe")
	select {
	case err := <-done:
		t.Fatalf("Main returned early: %v", err)
	default:
	}
	// The handler stops on SIGINT, which it is now listening for, as the host stops it.
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGINT))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the custom handler did not stop on SIGINT")
	}
	select {
	case <-closed:
	default:
		t.Fatal("stopping did not run what the app registered with OnClose")
	}
}
