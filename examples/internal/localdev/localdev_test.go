package localdev

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/negotiate"
)

// principalOf runs Identity and returns the principal headers the next handler saw, or the
// rejection.
func principalOf(t *testing.T, path string, header http.Header) (int, http.Header) {
	t.Helper()
	var seen http.Header
	h := Identity("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = http.Header{}
		for name, v := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-ms-client-principal") {
				seen[name] = v
			}
		}
	}))
	req := httptest.NewRequest(http.MethodPost, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, seen
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	local := func(user string) http.Header {
		return http.Header{
			negotiate.HeaderClientPrincipalID:   {user},
			negotiate.HeaderClientPrincipalName: {user},
			negotiate.HeaderClientPrincipalIDP:  {LocalIdentityProvider},
		}
	}
	tests := []struct {
		name   string
		path   string
		header http.Header
		status int
		want   http.Header // nil: the request was not passed on
	}{
		{"query user", "/api/negotiate?user=alice", nil, 200, local("alice")},
		{"header user", "/api/broadcast", http.Header{"X-User": {"bob"}}, 200, local("bob")},
		{"query wins over header", "/api/broadcast?user=alice", http.Header{"X-User": {"bob"}}, 200, local("alice")},
		{"unicode name", "/api/negotiate?user=Jos%C3%A9", nil, 200, local("José")},
		{"route prefix is case-insensitive", "/API/negotiate?user=alice", nil, 200, local("alice")},
		{"anonymous", "/api/negotiate", nil, 200, http.Header{}},
		{"spoofed principal removed", "/api/negotiate", http.Header{
			"X-Ms-Client-Principal-Id": {"admin"}, "X-Ms-Client-Principal": {"e30="},
		}, 200, http.Header{}},
		{"spoofed principal replaced", "/api/negotiate?user=eve", http.Header{"X-Ms-Client-Principal-Id": {"admin"}}, 200, local("eve")},
		{"outside the prefix untouched", "/index.html?user=alice", http.Header{"X-Ms-Client-Principal-Id": {"x"}}, 200,
			http.Header{"X-Ms-Client-Principal-Id": {"x"}}},
		{"too long", "/api/negotiate?user=" + strings.Repeat("a", maxUserLength+1), nil, 400, nil},
		{"control character", "/api/negotiate?user=a%0Ab", nil, 400, nil},
		{"invalid UTF-8", "/api/negotiate?user=%FF", nil, 400, nil},
		{"leading space", "/api/negotiate?user=%20a", nil, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, seen := principalOf(t, tt.path, tt.header)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.want, seen)
		})
	}
}

func FuzzIdentity(f *testing.F) {
	for _, s := range []string{"alice", "", "José", "a\nb", "\xff", " a", strings.Repeat("x", 65), "a\u200bb", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, user string) {
		var got string
		var passed bool
		h := Identity("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			passed = true
			got = r.Header.Get(negotiate.HeaderClientPrincipalID)
		}))
		req := httptest.NewRequest(http.MethodGet, "/api/negotiate", nil)
		req.Header["X-User"] = []string{user}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if checkUser(user) != nil {
			if passed || rec.Code != http.StatusBadRequest || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid user %q: passed=%v status %d body %q", user, passed, rec.Code, rec.Body)
			}
			return
		}
		if !passed || got != user {
			t.Fatalf("valid user %q: passed=%v principal %q", user, passed, got)
		}
	})
}

func TestPageURL(t *testing.T) {
	t.Parallel()
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40123}
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

// testApp is a one-function app: negotiate for hub "demo", the user from the principal.
func testApp(t *testing.T) *bindings.App {
	t.Helper()
	app := bindings.NewApp(nil)
	require.NoError(t, app.Negotiate("negotiate", "demo", &bindings.NegotiateOptions{
		AuthLevel:      bindings.AuthLevelAnonymous,
		ConnectionInfo: &bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"},
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

func TestStartServesPageFunctionsAndClient(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := Start(Config{
		Name:     "demo",
		App:      testApp(t),
		PagePath: "/api/page/",
		Addr:     "127.0.0.1:0",
		Stdout:   &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NotNil(t, s.Emulator())
	require.NotNil(t, s.Host())

	assert.Contains(t, out.String(), "open "+s.URL)
	assert.Contains(t, out.String(), "serving negotiate")
	assert.Contains(t, out.String(), "emulator at "+s.Emulator().URL)
	assert.NotContains(t, out.String(), "AccessKey", "the access key stays out of the output")

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/api/page/", resp.Header.Get("Location"), "/ leads to the page")
	status, _ := get(t, s.URL+"other")
	assert.Equal(t, http.StatusNotFound, status)

	status, body := get(t, s.URL+"api/negotiate?user=alice")
	require.Equal(t, http.StatusOK, status, body)
	var info negotiate.ConnectionInfo
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Equal(t, s.Emulator().URL+"/client/?hub=demo", info.URL)
	assert.NotEmpty(t, info.AccessToken)

	// As in Azure, the user binding expression fails without a signed-in user.
	status, _ = get(t, s.URL+"api/negotiate")
	assert.Equal(t, http.StatusInternalServerError, status)
}

func TestStartWithServiceConnectionString(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := Start(Config{
		Name:             "demo",
		App:              testApp(t),
		Addr:             "127.0.0.1:0",
		ConnectionString: "Endpoint=https://demo.service.signalr.net;AccessKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0;Version=1.0;",
		Stdout:           &out,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	assert.Nil(t, s.Emulator())
	assert.Contains(t, out.String(), "Azure SignalR Service from AzureSignalRConnectionString")
	assert.NotContains(t, out.String(), "c2VjcmV0", "the access key stays out of the output")

	status, body := get(t, s.URL+"api/negotiate?user=alice")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"url":"https://demo.service.signalr.net/client/?hub=demo"`)
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	_, err := Start(Config{})
	require.ErrorContains(t, err, "needs an App")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	_, err = Start(Config{App: testApp(t), Addr: ln.Addr().String()})
	require.ErrorContains(t, err, "choose another address with -addr")
}

func TestMainArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown argument", []string{"serve"}, `unexpected argument "serve"`},
		{"unknown flag", []string{"-port", "1"}, "flag provided but not defined"},
		{"bad address", []string{"-addr", "nonsense"}, "listening on nonsense"},
		{"help", []string{"-h"}, "help requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(bindings.PortEnv, "")
			t.Setenv(bindings.LegacyPortEnv, "")
			var stderr bytes.Buffer
			err := Main(context.Background(), "demo", testApp(t), "/api/page/", tt.args, io.Discard, &stderr)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestMainFunctionJSON(t *testing.T) {
	t.Setenv(bindings.PortEnv, "")
	dir := t.TempDir()
	app := testApp(t)
	require.NoError(t, Main(context.Background(), "demo", app, "/api/page/", []string{"functionjson", dir}, io.Discard, io.Discard))
	require.NoError(t, app.CheckFunctionJSON(dir))
	require.NoError(t, Main(context.Background(), "demo", app, "/api/page/", []string{"functionjson", "-check", dir}, io.Discard, io.Discard))
}

// Under the Functions host the program is the custom handler, serving on the port it is given.
func TestMainUnderFunctionsHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, ln.Close())
	t.Setenv(bindings.PortEnv, port)

	done := make(chan error, 1)
	go func() {
		done <- Main(context.Background(), "demo", testApp(t), "/api/page/", nil, io.Discard, io.Discard)
	}()
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
}
