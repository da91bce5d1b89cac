package bindings

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// lockedBuffer is an io.Writer that goroutines share, read while it is written.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// local is one local run in a test: its output and what it put in the environment.
type local struct {
	*localServer
	stdout, stderr *lockedBuffer
	mu             sync.Mutex
	published      map[string]string
}

func (l *local) env(k string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.published[k]
}

// testEnv is a local environment for a test: settingsFile, when not "", is written as
// local.settings.json; environ replaces the process environment.
func testEnv(t *testing.T, settingsFile string, environ ...string) (localEnv, *local) {
	t.Helper()
	dir := t.TempDir()
	if settingsFile != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "local.settings.json"), []byte(settingsFile), 0o600))
	}
	l := &local{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, published: map[string]string{}}
	env := localEnv{stdout: l.stdout, stderr: l.stderr, dir: dir, environ: environ,
		setenv: func(k, v string) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.published[k] = v
			return nil
		}}
	return env, l
}

// startTest starts app locally on a free loopback port.
func startTest(t *testing.T, app *App, cfg localConfig, settingsFile string, environ ...string) *local {
	t.Helper()
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:0"
	}
	env, l := testEnv(t, settingsFile, environ...)
	s, err := app.startLocal(cfg, env)
	require.NoError(t, err, "stdout:\n%s", l.stdout)
	t.Cleanup(s.Close)
	l.localServer = s
	return l
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// demoApp has an HTTP function that broadcasts, negotiate, and a SignalR trigger.
func demoApp(t *testing.T) *App {
	t.Helper()
	app := NewApp(&AppOptions{Logger: quietLogger})
	anyone := AuthLevelAnonymous
	require.NoError(t, app.Negotiate("negotiate", "demo", &NegotiateOptions{HTTPOptions: HTTPOptions{AuthLevel: anyone}}))
	require.NoError(t, app.HTTP("broadcast", &HTTPOptions{Methods: []string{"post"}, AuthLevel: anyone},
		func(ctx context.Context, inv *Invocation) error {
			req, err := inv.HTTPRequest()
			if err != nil {
				return err
			}
			if string(req.Body) == "fail" {
				return errors.New("the body says fail")
			}
			inv.Log("broadcasting %d bytes", len(req.Body))
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{string(req.Body)}}); err != nil {
				return err
			}
			return inv.Respond(http.StatusAccepted, nil, nil)
		}, SignalROutput("signalRMessages", "demo", nil)))
	require.NoError(t, app.SignalRTrigger("echo", "demo", trigger.CategoryMessages, "echo", &SignalRTriggerOptions{ParameterNames: []string{"text"}},
		func(ctx context.Context, inv *Invocation) error {
			var text string
			if err := inv.Bind(&text); err != nil {
				return err
			}
			inv.Return(map[string]string{"text": text})
			return nil
		}))
	return app
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

func post(t *testing.T, url, ctype, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, ctype, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// eventually waits until the output contains every want.
func eventually(t *testing.T, out *lockedBuffer, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := out.String()
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	}, 15*time.Second, 20*time.Millisecond, "want %q in:\n%s", want, out)
}

// Without any connection setting the runner starts the emulator, wires its upstream to the
// webhook, puts its connection string in the environment and says where everything is.
func TestStartLocalWithEmulator(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{}, "")
	require.Len(t, l.emulators, 1)
	emu := l.emulators[0].server
	out := l.stdout.String()
	assert.Contains(t, out, "negotiate: [POST,GET] "+l.url+"api/negotiate")
	assert.Contains(t, out, "echo: signalRTrigger, hub demo, messages echo")
	assert.Contains(t, out, "SignalR Service for AzureSignalRConnectionString: emulator at "+emu.URL+", live trace at "+emu.URL+"/trace/")
	assert.Contains(t, out, "SignalR upstream: "+l.url+"runtime/webhooks/signalr")
	assert.Contains(t, out, "Listening on "+l.url)
	assert.NotContains(t, out, "AccessKey", "the emulator's key stays out of the output")
	assert.Equal(t, emu.ConnectionString(), l.env(signalr.DefaultConnectionSetting))
	assert.Equal(t, "Development", l.env(environmentSetting))

	status, body := get(t, l.url+"api/negotiate")
	require.Equal(t, http.StatusOK, status, body)
	var info negotiate.ConnectionInfo
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Equal(t, emu.URL+"/client/?hub=demo", info.URL)

	status, _ = post(t, l.url+"api/broadcast", "text/plain", "hello")
	assert.Equal(t, http.StatusAccepted, status)
	eventually(t, l.stdout,
		"Executing 'Functions.negotiate' (Reason='This function was programmatically called via the host APIs.', Id=",
		"Executed 'Functions.negotiate' (Succeeded, Id=",
		"] broadcasting 5 bytes\n",
		"Executed 'Functions.broadcast' (Succeeded, Id=")
	require.Eventually(t, func() bool { return len(emu.RESTCalls()) > 0 }, 5*time.Second, 10*time.Millisecond,
		"the broadcast reached the emulator")
	assert.NotContains(t, l.stdout.String(), "SignalR REST:", "REST calls are logged with -v only")

	// The upstream reaches the webhook: an unsigned call is refused there, not missing.
	status, _ = post(t, l.url+"runtime/webhooks/signalr", "application/json", "{}")
	assert.NotEqual(t, http.StatusNotFound, status)
	status, _ = get(t, l.url+"favicon.ico")
	assert.Equal(t, http.StatusNoContent, status)
}

// The lines of one invocation: Executing, the handler's Logs, Executed with the outcome and,
// on failure, why.
func TestStartLocalLogsFailures(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{}, "")
	status, _ := post(t, l.url+"api/broadcast", "text/plain", "fail")
	assert.Equal(t, http.StatusInternalServerError, status)
	eventually(t, l.stdout, "Executed 'Functions.broadcast' (Failed, Id=")
	lines := invocationLines(l.stdout.String(), "broadcast")
	require.Len(t, lines, 4, l.stdout)
	assert.Regexp(t, `^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] Executing 'Functions.broadcast' \(Reason='This function was programmatically called via the host APIs.', Id=[0-9a-f-]{36}\)$`, lines[0])
	assert.Contains(t, lines[1], `function broadcast failed: the body says fail`)
	assert.Regexp(t, `Executed 'Functions.broadcast' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)$`, lines[2])
	assert.Contains(t, lines[3], "Exception while executing function: Functions.broadcast. Response status code does not indicate success: 500 (Internal Server Error).")
}

// invocationLines returns the log lines from the first Executing line of fn to the line after
// its Executed line.
func invocationLines(out, fn string) []string {
	var lines []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "Executing 'Functions."+fn+"'") {
			in = true
		}
		if !in {
			continue
		}
		lines = append(lines, line)
		if strings.Contains(line, "Executed 'Functions."+fn+"'") {
			if strings.Contains(line, "(Failed") {
				continue
			}
			break
		}
		if strings.Contains(line, "Exception while executing function") {
			break
		}
	}
	return lines
}

// local.settings.json: Values become settings and environment variables, the environment
// winning with Core Tools' warning; Host.CORS answers preflights; Host.LocalHttpPort is the
// port when -addr is not given.
func TestStartLocalReadsLocalSettings(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	app := NewApp(&AppOptions{Logger: quietLogger})
	require.NoError(t, app.HTTP("greet", &HTTPOptions{AuthLevel: AuthLevelAnonymous}, func(ctx context.Context, inv *Invocation) error {
		return inv.Respond(http.StatusOK, nil, map[string]string{"greeting": os.Getenv("Greeting")})
	}))
	file := `{
		// comments and trailing commas, as Core Tools accepts them
		"IsEncrypted": false,
		"Values": {"FUNCTIONS_WORKER_RUNTIME": "custom", "Greeting": "hello", "Overridden": "from file",},
		"Host": {"LocalHttpPort": ` + strconv.Itoa(port) + `, "CORS": "http://page.example", "CORSCredentials": true},
	}`
	env, l := testEnv(t, file, "Overridden=from environment", "PATH=/usr/bin")
	s, err := app.startLocal(localConfig{}, env)
	require.NoError(t, err, l.stdout.String())
	t.Cleanup(s.Close)
	assert.Equal(t, "http://localhost:"+strconv.Itoa(port)+"/", s.url)
	assert.Equal(t, "hello", l.published["Greeting"])
	assert.Equal(t, "custom", l.published["FUNCTIONS_WORKER_RUNTIME"])
	assert.NotContains(t, l.published, "Overridden", "the environment wins")
	assert.NotContains(t, l.published, "PATH", "what the environment holds is not set again")
	assert.Contains(t, l.stdout.String(), `Warning: Skipping "Overridden" from local settings as it's already defined in current environment variables.`)
	assert.NotContains(t, l.stdout.String(), "emulator", "an app without SignalR bindings needs no service")

	req, err := http.NewRequest(http.MethodOptions, s.url+"api/greet", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://page.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://page.example", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
}

// A connection setting that cannot work stops the start, naming the setting and the form
// expected, never the value.
func TestStartLocalRefusesBadConnectionSettings(t *testing.T) {
	t.Parallel()
	const secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
	tests := []struct {
		name     string
		file     string
		environ  []string
		contains []string
	}{
		{
			name:     "garbage from the environment",
			environ:  []string{"AzureSignalRConnectionString=garbage" + secret},
			contains: []string{"setting AzureSignalRConnectionString", "expected Endpoint=", "negotiate, broadcast, echo", "UseEmulator=true"},
		},
		{
			name:     "no access key in local.settings.json",
			file:     `{"Values":{"AzureSignalRConnectionString":"Endpoint=https://x.service.signalr.net;Version=1.0;` + secret + `"}}`,
			contains: []string{"setting AzureSignalRConnectionString", "expected"},
		},
		{
			name:     "bad endpoint setting",
			environ:  []string{"Azure__SignalR__Endpoints__east=Endpoint=ftp://x;AccessKey=" + secret + ";Version=1.0;"},
			contains: []string{"Azure__SignalR__Endpoints__east", "expected"},
		},
		{
			name:     "malformed settings file",
			file:     `{"Values": {"A": {"nested": "` + secret + `"}}}`,
			contains: []string{"local.settings.json", `Values["A"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, l := testEnv(t, tt.file, tt.environ...)
			_, err := demoApp(t).startLocal(localConfig{addr: "127.0.0.1:0"}, env)
			require.Error(t, err)
			for _, c := range tt.contains {
				assert.Contains(t, err.Error(), c)
			}
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, l.stdout.String()+l.stderr.String(), secret)
			assert.NotContains(t, l.stdout.String(), "Listening")
		})
	}
}

// A configured service that does not answer is reported at startup with its URL; the start
// goes on.
func TestStartLocalWarnsAboutUnreachableService(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there any more
	l := startTest(t, demoApp(t), localConfig{}, "",
		"AzureSignalRConnectionString=Endpoint=http://"+addr+";AccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0;Version=1.0;")
	assert.Empty(t, l.emulators)
	assert.Contains(t, l.stdout.String(), "SignalR Service for AzureSignalRConnectionString: http://"+addr)
	assert.Contains(t, l.stdout.String(), "expose it with a tunnel")
	eventually(t, l.stdout, "Warning: the SignalR Service at http://"+addr+" (AzureSignalRConnectionString) did not pass its health check")
	assert.NotContains(t, l.stdout.String(), "c2VjcmV0")
}

// Endpoint settings set to UseEmulator=true each get an emulator, and the bindings fan out
// over them and route negotiations between them, as over several Azure instances.
func TestStartLocalWithSeveralEmulatorEndpoints(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{}, `{"Values":{
		"Azure__SignalR__Endpoints__east": "UseEmulator=true",
		"Azure__SignalR__Endpoints__west": "UseEmulator=true;"}}`)
	require.Len(t, l.emulators, 2)
	east, west := l.emulators[0], l.emulators[1]
	assert.Equal(t, "Azure__SignalR__Endpoints__east", east.setting)
	assert.Equal(t, "Azure__SignalR__Endpoints__west", west.setting)
	assert.Equal(t, east.server.ConnectionString(), l.env(east.setting))
	assert.Empty(t, l.env(signalr.DefaultConnectionSetting), "with named endpoints an unset setting stays unset, as in Azure")
	assert.Contains(t, l.stdout.String(), "SignalR Service for Azure__SignalR__Endpoints__west: emulator at "+west.server.URL)

	urls := map[string]bool{}
	for range 40 {
		status, body := get(t, l.url+"api/negotiate")
		require.Equal(t, http.StatusOK, status, body)
		var info negotiate.ConnectionInfo
		require.NoError(t, json.Unmarshal([]byte(body), &info))
		urls[info.URL] = true
	}
	assert.Equal(t, map[string]bool{east.server.URL + "/client/?hub=demo": true, west.server.URL + "/client/?hub=demo": true}, urls)

	status, _ := post(t, l.url+"api/broadcast", "text/plain", "to both")
	require.Equal(t, http.StatusAccepted, status)
	for _, e := range l.emulators {
		require.Eventually(t, func() bool { return len(e.server.RESTCalls()) > 0 }, 5*time.Second, 10*time.Millisecond, e.setting)
	}
}

// An explicit UseEmulator=true for the connection setting and one endpoint: two emulators, the
// equivalent of the old -endpoints 2.
func TestStartLocalEmulatorForSettingAndEndpoint(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{}, "",
		"AzureSignalRConnectionString=UseEmulator=true", "Azure__SignalR__Endpoints__second=UseEmulator=true")
	require.Len(t, l.emulators, 2)
	settings := []string{l.emulators[0].setting, l.emulators[1].setting}
	assert.ElementsMatch(t, []string{"AzureSignalRConnectionString", "Azure__SignalR__Endpoints__second"}, settings)
	assert.NotEqual(t, "UseEmulator=true", l.env(signalr.DefaultConnectionSetting))
}

func TestIsEmulatorValue(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"UseEmulator=true": true, "useemulator=TRUE;": true, " UseEmulator = true ": true,
		"UseEmulator=false": false, "": false, "Endpoint=http://x;AccessKey=a;Version=1.0;": false, "UseEmulator": false,
	} {
		assert.Equal(t, want, isEmulatorValue(v), v)
	}
}

func TestOpenURL(t *testing.T) {
	t.Parallel()
	const bound = "http://127.0.0.1:40123"
	for asked, want := range map[string]string{
		"localhost:7071": "http://localhost:40123/",
		"127.0.0.1:0":    "http://127.0.0.1:40123/",
		":0":             "http://localhost:40123/",
		"0.0.0.0:7071":   "http://localhost:40123/",
		"[::]:7071":      "http://localhost:40123/",
	} {
		assert.Equal(t, want, openURL(asked, bound), asked)
	}
}

func TestStartLocalAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	env, _ := testEnv(t, "")
	_, err = demoApp(t).startLocal(localConfig{addr: ln.Addr().String()}, env)
	require.ErrorContains(t, err, "choose another address with -addr host:port")
}

// The command line: help, start's flags, unknown commands, functionjson.
func TestMainCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		wantErr   error
		errText   string
		usage     bool
		stdoutHas string
	}{
		{name: "help", args: []string{"help"}, stdoutHas: "[start] [-addr host:port] [-v]"},
		{name: "-h", args: []string{"-h"}, stdoutHas: "functionjson [-check] DIR"},
		{name: "start -h", args: []string{"start", "-h"}, wantErr: flag.ErrHelp, stdoutHas: "-addr host:port"},
		{name: "unknown command", args: []string{"serve"}, usage: true, errText: `unknown command "serve"; run ` + "`demo help`"},
		{name: "flags without command", args: []string{"-v", "-port", "1"}, usage: true, errText: "flag provided but not defined: -port"},
		{name: "unknown start flag", args: []string{"start", "-port", "1"}, usage: true, errText: "flag provided but not defined: -port; usage: start [-addr host:port] [-v]"},
		{name: "start argument", args: []string{"start", "now"}, usage: true, errText: `unexpected argument "now"`},
		{name: "functionjson without dir", args: []string{"functionjson"}, errText: "functionjson needs one directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, l := testEnv(t, "")
			err := demoApp(t).main(context.Background(), "demo", tt.args, env)
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
			case tt.errText != "":
				require.ErrorContains(t, err, tt.errText)
				var u *usageError
				assert.Equal(t, tt.usage, errors.As(err, &u))
			default:
				require.NoError(t, err)
			}
			assert.Contains(t, l.stdout.String(), tt.stdoutHas)
		})
	}
}

// functionjson says what it wrote, and -check names the command that fixes drift.
func TestMainFunctionJSON(t *testing.T) {
	t.Parallel()
	app := demoApp(t)
	dir := t.TempDir()
	env, l := testEnv(t, "")
	require.NoError(t, app.main(context.Background(), "demo", []string{"functionjson", dir}, env))
	assert.Contains(t, l.stdout.String(), "Wrote host.json and 3 function.json files to "+dir+":\n\t"+filepath.Join(dir, "host.json")+"\n\t"+filepath.Join(dir, "negotiate", "function.json"))
	require.NoError(t, app.main(context.Background(), "demo", []string{"functionjson", "-check", dir}, env))
	assert.Contains(t, l.stdout.String(), "host.json and 3 function.json files in "+dir+" match the Go declarations.")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "negotiate", "function.json"), []byte("{}"), 0o600))
	err := app.main(context.Background(), "demo", []string{"functionjson", "-check", dir}, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "run `demo functionjson "+dir+"`")
}

func TestUnderHost(t *testing.T) {
	t.Parallel()
	assert.True(t, underHost([]string{"A=1", "FUNCTIONS_CUSTOMHANDLER_PORT=8080"}))
	assert.True(t, underHost([]string{"FUNCTIONS_HTTPWORKER_PORT=8080"}))
	assert.False(t, underHost([]string{"FUNCTIONS_CUSTOMHANDLER_PORT="}))
	assert.False(t, underHost(nil))
}

// No argument outside the host is start: the runner serves until the context ends.
func TestMainWithoutArgumentsStarts(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	env, l := testEnv(t, `{"Host":{"LocalHttpPort":`+busyPort+`}}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	app := demoApp(t)
	go func() { done <- app.main(ctx, "demo", []string{"-addr", "127.0.0.1:0"}, env) }() // start is implied
	eventually(t, l.stdout, "Listening on http://127.0.0.1:")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the runner did not stop")
	}
	assert.Contains(t, l.stdout.String(), "Stopping.")

	// Without any argument it starts too, on Host.LocalHttpPort, which is taken here.
	err = app.main(context.Background(), "demo", nil, env)
	require.ErrorContains(t, err, "localhost:"+busyPort)
}

// mainHelperEnv makes the test binary run App.Main as a program (TestMainHelperProcess).
const mainHelperEnv = "BINDINGS_TEST_MAIN_ARGS"

// TestMainHelperProcess is the program TestMainExitStatus runs; it does nothing in a normal
// test run.
func TestMainHelperProcess(t *testing.T) {
	args, ok := os.LookupEnv(mainHelperEnv)
	if !ok {
		return
	}
	os.Args = append([]string{"demo"}, strings.Fields(args)...)
	demoApp(t).Main()
	os.Exit(0)
}

// What a shell sees: status 0 for help, 1 for a setting that stops the start, 2 for a
// command line Main does not understand, and the message on stderr.
func TestMainExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		env     []string
		status  int
		stderr  string
		stdout  string
		nothing string
	}{
		{name: "help", args: "help", status: 0, stdout: "usage: demo [command]"},
		{name: "start -h", args: "start -h", status: 0, stdout: "usage: start [-addr host:port] [-v]"},
		{name: "unknown command", args: "serve", status: 2, stderr: `demo: unknown command "serve"`},
		{name: "bad setting", args: "start -addr 127.0.0.1:0", env: []string{"AzureSignalRConnectionString=Endpoint=https://x;AccessKey=;SECRETVALUE"},
			status: 1, stderr: "demo: setting AzureSignalRConnectionString", nothing: "SECRETVALUE"},
		{name: "bad setting without a command", env: []string{"AzureSignalRConnectionString=nonsense-SECRETVALUE"},
			status: 1, stderr: "setting AzureSignalRConnectionString", nothing: "SECRETVALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelperProcess$")
			cmd.Dir = t.TempDir()
			cmd.Env = append([]string{mainHelperEnv + "=" + tt.args, "PATH=" + os.Getenv("PATH")}, tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			status := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.status, status, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			assert.Contains(t, stderr.String(), tt.stderr)
			assert.Contains(t, stdout.String(), tt.stdout)
			if tt.nothing != "" {
				assert.NotContains(t, stdout.String()+stderr.String(), tt.nothing)
			}
			// One prefix, the program's, however deep the error was made.
			for _, doubled := range []string{"demo: demo:", "bindings: ", "signalr: "} {
				assert.NotContains(t, stderr.String(), doubled)
			}
			if tt.stderr != "" {
				assert.True(t, strings.HasPrefix(stderr.String(), "demo: "), stderr.String())
			}
		})
	}
}

// -v adds a line for each client connection and disconnection, REST call and upstream call,
// read from the emulator's live trace, here for the official JavaScript client; the SignalR
// trigger's invocation is logged with the host's reason for it, (null).
func TestStartLocalVerboseLogsSignalRTraffic(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{verbose: true}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := jsclient.Start(t, jsclient.Config{URL: l.url + "api", Targets: []string{"newMessage"}})
	res, err := c.Invoke(ctx, "echo", "hi there")
	require.NoError(t, err)
	assert.JSONEq(t, `{"text":"hi there"}`, string(res))
	status, _ := post(t, l.url+"api/broadcast", "text/plain", "to all")
	require.Equal(t, http.StatusAccepted, status)
	ev, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
	require.NoError(t, err)
	var text string
	require.NoError(t, ev.Arg(0, &text))
	assert.Equal(t, "to all", text)
	require.NoError(t, c.Stop(ctx))

	id := c.ConnectionID()
	eventually(t, l.stdout,
		"] SignalR: client "+id+" connected to hub demo (WebSockets, json)",
		"] SignalR upstream: hub demo, connections connected: 404 (", // no function for it
		"] SignalR upstream: hub demo, messages echo: 200 (",
		"Executing 'Functions.echo' (Reason='(null)', Id=",
		"Executed 'Functions.echo' (Succeeded",
		"] SignalR REST: POST /api/hubs/demo/:send 202 (",
		"] SignalR: client "+id+" disconnected from hub demo")
}

func TestTraceEventLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, want string
	}{
		{`{"kind":"connected","hub":"chat","connectionId":"c1","userId":"ann","transport":"LongPolling","protocol":"messagepack"}`,
			"SignalR: client c1 connected to hub chat (LongPolling, messagepack, user ann)"},
		{`{"kind":"disconnected","hub":"chat","connectionId":"c1","reason":"timed out"}`,
			"SignalR: client c1 disconnected from hub chat: timed out"},
		{`{"kind":"rest","hub":"chat","method":"PUT","path":"/api/hubs/chat/groups/g/connections/c1","status":200,"durationMs":0.5}`,
			"SignalR REST: PUT /api/hubs/chat/groups/g/connections/c1 200 (0.5ms)"},
		{`{"kind":"upstream","hub":"chat","category":"messages","event":"send","status":500,"durationMs":12}`,
			"SignalR upstream: hub chat, messages send: 500 (12ms)"},
		{`{"kind":"upstream","hub":"chat","category":"messages","event":"send","error":"no upstream rule matches"}`,
			"SignalR upstream: hub chat, messages send: no upstream rule matches (0ms)"},
		{`{"kind":"message","hub":"chat"}`, ""},
	}
	for _, tt := range tests {
		var out lockedBuffer
		readTrace(strings.NewReader("retry: 1000\n\nid: 7\ndata: "+tt.event+"\n\n"), "", corelog.New(&out, nil))
		if tt.want == "" {
			assert.Empty(t, out.String(), tt.event)
			continue
		}
		assert.Contains(t, out.String(), "] "+tt.want+"\n", tt.event)
	}
	var out lockedBuffer
	assert.Equal(t, "9", readTrace(strings.NewReader("id: 8\ndata: {\"kind\":\"rest\"}\n\nid: 9\n: keep-alive\n"), "3", corelog.New(&out, nil)))
}

// Whatever the stream holds, the -v reader neither fails nor writes a line break of its own
// inside a log line.
func FuzzReadTrace(f *testing.F) {
	f.Add("id: 1\ndata: {\"kind\":\"connected\",\"hub\":\"h\",\"connectionId\":\"c\\nforged\"}\n\n")
	f.Add("data: {\"kind\":\"upstream\",\"error\":\"\\u2028x\"}\n")
	f.Add("data: not json\n")
	f.Fuzz(func(t *testing.T, stream string) {
		var out lockedBuffer
		readTrace(strings.NewReader(stream), "", corelog.New(&out, nil))
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if line != "" && !strings.HasPrefix(line, "[") {
				t.Fatalf("a line does not start with a timestamp: %q", line)
			}
		}
	})
}

// The runner sends / to the App's first page and says where it is.
func TestStartLocalLeadsToThePage(t *testing.T) {
	t.Parallel()
	app := demoApp(t)
	require.NoError(t, app.Page("site", fstest.MapFS{"index.html": {Data: []byte("<h1>demo page</h1>")}}, nil))
	require.NoError(t, app.Page("other", fstest.MapFS{}, nil))
	l := startTest(t, app, localConfig{}, "")
	assert.Contains(t, l.stdout.String(), "Page: "+l.url+"api/site/\n")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(l.url)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/api/site/", resp.Header.Get("Location"))
	status, body := get(t, l.url)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "demo page")
	status, _ = get(t, l.url+"elsewhere")
	assert.Equal(t, http.StatusNotFound, status)
}

// A local run signs in the user a page names, as App Service authentication signs in a user
// in Azure, and drops the principal headers a client sends itself.
func TestStartLocalSignsInThePagesUser(t *testing.T) {
	t.Parallel()
	app := NewApp(&AppOptions{Logger: quietLogger})
	require.NoError(t, app.Negotiate("user", "demo", &NegotiateOptions{HTTPOptions: HTTPOptions{AuthLevel: AuthLevelAnonymous}, Mint: &negotiate.HandlerOptions{}}))
	l := startTest(t, app, localConfig{}, "")
	require.Len(t, l.emulators, 1, "the setting NegotiateOptions.Mint reads gets an emulator")
	assert.Contains(t, l.stdout.String(), "Sign-in: ?user=<name> (or an X-User header) signs a user in")
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
		{"name too long", "?user=" + strings.Repeat("a", maxLocalUserLength+1), nil, 400, ""},
		{"name with a newline", "?user=a%0Ab", nil, 400, ""},
		{"name with spaces around", "?user=%20a", nil, 400, ""},
		{"blank name", "?user=%20%20%20", nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, l.url+"api/user"+tt.query, nil)
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

// tokenUser is the asrs.s.uid claim of an access token, read without verifying it.
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

// Events no function takes: a connect is normal for an app without connection triggers and
// passes quietly, a hub method without a function is worth a warning.
func TestStartLocalWarnsAboutUnhandledHubMethods(t *testing.T) {
	t.Parallel()
	l := startTest(t, demoApp(t), localConfig{}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := jsclient.Start(t, jsclient.Config{URL: l.url + "api"})
	_, err := c.Invoke(ctx, "nosuch", "x")
	require.Error(t, err, "invoke() of a method without a function fails")
	eventually(t, l.stderr, `no function for hub \"demo\", category \"messages\", event \"nosuch\"`)
	require.NoError(t, c.Stop(ctx))
	assert.NotContains(t, l.stderr.String(), `category \"connections\"`)
}
