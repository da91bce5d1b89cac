package localdev

import (
	"bytes"
	"context"
	"encoding/base64"
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

	"fmt"
	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"os"
	"os/exec"
	"path/filepath"
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

// testApp is a three-function app for hub "demo": negotiate as the host mints it, negotiate
// for the signed-in user or anonymous, and the page.
func testApp() (*bindings.App, error) {
	app := bindings.NewApp(nil)
	anyone := bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}
	return app, errors.Join(
		app.Negotiate("negotiate", "demo", &bindings.NegotiateOptions{HTTPOptions: anyone}),
		app.Negotiate("user", "demo", &bindings.NegotiateOptions{HTTPOptions: anyone, Mint: &negotiate.HandlerOptions{}}),
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
	s, err := Start(Config{
		Name:   "demo",
		Build:  testApp,
		Addr:   "127.0.0.1:0",
		Stdout: &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NotNil(t, s.Emulator())
	require.NotNil(t, s.Host())

	assert.Contains(t, out.String(), "open "+s.URL)
	assert.Contains(t, out.String(), "Functions host at "+strings.TrimSuffix(s.URL, "/"))
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
}

// tokenUser returns the asrs.s.uid claim of a client token, "" for anonymous.
func tokenUser(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	user, _ := claims["asrs.s.uid"].(string)
	return user
}

// A local run signs in the user the page names, as App Service authentication signs in a user
// in Azure, and drops the principal headers a client sends itself.
func TestStartSignsInThePagesUser(t *testing.T) {
	t.Parallel()
	s, err := Start(Config{Name: "demo", Build: testApp, Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	tests := []struct {
		name   string
		query  string
		header http.Header
		status int
		user   string
	}{
		{"anonymous", "", nil, 200, ""},
		{"the page's name", "?user=alice", nil, 200, "alice"},
		{"x-user", "", http.Header{"X-User": {"bob"}}, 200, "bob"},
		{"unicode name", "?user=Jos%C3%A9", nil, 200, "José"},
		{"a client's own principal header is dropped", "", http.Header{negotiate.HeaderClientPrincipalID: {"mallory"}}, 200, ""},
		{"the page's name over a client's header", "?user=alice", http.Header{negotiate.HeaderClientPrincipalID: {"mallory"}}, 200, "alice"},
		{"name too long", "?user=" + strings.Repeat("a", maxUserLength+1), nil, 400, ""},
		{"name with a newline", "?user=a%0Ab", nil, 400, ""},
		{"name with spaces around", "?user=%20a", nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.URL+"api/user"+tt.query, nil)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.status, resp.StatusCode)
			var info struct {
				AccessToken string `json:"accessToken"`
				Error       string `json:"error"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
			if tt.status != http.StatusOK {
				assert.Contains(t, info.Error, "user name")
				return
			}
			assert.Equal(t, tt.user, tokenUser(t, info.AccessToken))
		})
	}
}

// With -endpoints 2 the second emulator is a named endpoint: the bindings fan out to both and
// route negotiations between them.
func TestStartWithSeveralEndpoints(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := Start(Config{
		Name:      "demo",
		Build:     testApp,
		Addr:      "127.0.0.1:0",
		Endpoints: 2,
		Stdout:    &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	emus := s.Emulators()
	require.Len(t, emus, 2)
	assert.Same(t, emus[0], s.Emulator())
	assert.Contains(t, out.String(), "emulator at "+emus[1].URL+" (Azure__SignalR__Endpoints__emulator2), live trace at "+emus[1].URL+"/trace/")
	assert.NotContains(t, out.String(), "AccessKey", "the access keys stay out of the output")

	// The host mints for both; so does the App, from the settings the host gives it.
	for _, fn := range []string{"negotiate", "user?user=alice"} {
		urls := map[string]bool{}
		for range 40 {
			status, body := get(t, s.URL+"api/"+fn)
			require.Equal(t, http.StatusOK, status, body)
			var info negotiate.ConnectionInfo
			require.NoError(t, json.Unmarshal([]byte(body), &info))
			urls[info.URL] = true
		}
		assert.Equal(t, map[string]bool{emus[0].URL + "/client/?hub=demo": true, emus[1].URL + "/client/?hub=demo": true}, urls,
			"%s: both primaries are chosen at random", fn)
	}
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
	_, err = Start(Config{Build: func() (*bindings.App, error) { return nil, errors.New("no app today") }, Addr: "127.0.0.1:0"})
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
			t.Setenv(portEnv, "")
			t.Setenv(legacyPortEnv, "")
			var stderr bytes.Buffer
			err := Main(context.Background(), "demo", testApp, tt.args, io.Discard, &stderr)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// TestCommandProcess is the program the Command tests start: the test binary itself, run as
// an example's main would be.
func TestCommandProcess(t *testing.T) {
	if os.Getenv("LOCALDEV_COMMAND_PROCESS") != "1" {
		t.Skip("run by the Command tests as a child process")
	}
	os.Args = append([]string{"demo"}, strings.Fields(os.Getenv("LOCALDEV_COMMAND_ARGS"))...)
	Command("demo", func() (*bindings.App, error) {
		fmt.Println("built")
		return testApp()
	})
	fmt.Println("stopped")
}

// command starts the test binary as a program whose main is Command.
func command(t *testing.T, args string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCommandProcess$")
	cmd.Env = append(os.Environ(), append([]string{"LOCALDEV_COMMAND_PROCESS=1", "LOCALDEV_COMMAND_ARGS=" + args}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func TestCommandFunctionJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd, out := command(t, "functionjson "+dir, portEnv+"=", legacyPortEnv+"=")
	require.NoError(t, cmd.Run(), out.String())
	app, err := testApp()
	require.NoError(t, err)
	require.NoError(t, app.CheckFunctionJSON(dir))
	cmd, out = command(t, "functionjson -check "+dir, portEnv+"=", legacyPortEnv+"=")
	require.NoError(t, cmd.Run(), out.String())

	require.NoError(t, os.WriteFile(filepath.Join(dir, "host.json"), []byte("{}"), 0o644))
	cmd, out = command(t, "functionjson -check "+dir, portEnv+"=", legacyPortEnv+"=")
	require.Error(t, cmd.Run())
	assert.Contains(t, out.String(), "host.json differs from the Go declarations", "the app's Main reports the drift and exits 1")
}

// Under the Functions host the program is the custom handler, serving on the port it is given
// until the host stops it.
func TestCommandUnderFunctionsHost(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	cmd, out := command(t, "", portEnv+"="+port)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	url := "http://127.0.0.1:" + port + "/"
	require.Eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "the custom handler answers the host's readiness probe")
	// The handler stops on SIGINT, as the host stops it, and runs what the app registered.
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, out.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the custom handler did not stop on SIGINT")
	}
	assert.Contains(t, out.String(), "built\n")
	assert.Contains(t, out.String(), "stopped\n", "Main returned after serving")
}
