package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr string
	}{
		{"defaults match asrs-emulator", nil, config{ip: "127.0.0.1", port: 8888}, ""},
		{"all flags", []string{"-ip", "0.0.0.0", "-port", "0", "-config", "s.json", "-upstream", "http://h/x", "-v"},
			config{ip: "0.0.0.0", port: 0, settings: "s.json", upstream: "http://h/x", verbose: true}, ""},
		{"port too large", []string{"-port", "70000"}, config{}, "-port 70000 is out of range"},
		{"negative port", []string{"-port", "-1"}, config{}, "out of range"},
		{"bad ip", []string{"-ip", "localhost"}, config{}, `-ip "localhost" is not an IP address`},
		{"stray argument", []string{"start"}, config{}, `unexpected argument "start"`},
		{"unknown flag", []string{"-nope"}, config{}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := parseFlags([]string{"-h"}, io.Discard)
	require.ErrorIs(t, err, flag.ErrHelp)
}

func TestUpstreams(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	two := filepath.Join(dir, "two.json")
	require.NoError(t, os.WriteFile(two, []byte(`{"UpstreamSettings":{"Templates":[
		{"UrlTemplate":"http://localhost:7071/api/{hub}/{category}/{event}","HubPattern":"chat","EventPattern":"*","CategoryPattern":"messages"},
		{"UrlTemplate":"http://localhost:7072/runtime/webhooks/signalr","HubPattern":"*","EventPattern":"*","CategoryPattern":"*"}]}}`), 0o600))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"UpstreamSettings":{"Templates":[{"UrlTemplate":"not a url"}]}}`), 0o600))

	tests := []struct {
		name     string
		cfg      config
		dflt     string
		wantURLs []string
		wantErr  string
	}{
		{"none", config{}, "", nil, ""},
		{"default file absent", config{}, filepath.Join(dir, "absent.json"), nil, ""},
		{"default file present", config{}, "settings.json", []string{"http://localhost:7071/runtime/webhooks/signalr"}, ""},
		{"the sample settings.json", config{settings: "settings.json"}, "", []string{"http://localhost:7071/runtime/webhooks/signalr"}, ""},
		{"directory holding settings.json", config{settings: "."}, "", []string{"http://localhost:7071/runtime/webhooks/signalr"}, ""},
		{"-config wins over the default", config{settings: two}, "settings.json",
			[]string{"http://localhost:7071/api/{hub}/{category}/{event}", "http://localhost:7072/runtime/webhooks/signalr"}, ""},
		{"config then shortcut", config{settings: two, upstream: "http://127.0.0.1:9/up"}, "",
			[]string{"http://localhost:7071/api/{hub}/{category}/{event}", "http://localhost:7072/runtime/webhooks/signalr", "http://127.0.0.1:9/up"}, ""},
		{"shortcut alone", config{upstream: "https://app.example/runtime/webhooks/signalr?code=k"}, "", []string{"https://app.example/runtime/webhooks/signalr?code=k"}, ""},
		{"relative shortcut", config{upstream: "/runtime/webhooks/signalr"}, "", nil, `-upstream "/runtime/webhooks/signalr"`},
		{"missing file", config{settings: filepath.Join(dir, "none.json")}, "", nil, "reading upstream settings"},
		{"invalid template", config{settings: bad}, "", nil, "not an absolute http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := upstreams(tt.cfg, tt.dflt, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var urls []string
			for _, tmpl := range got {
				urls = append(urls, tmpl.UrlTemplate)
			}
			assert.Equal(t, tt.wantURLs, urls)
		})
	}
}

// syncBuffer lets the test read what run prints while run is still writing.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func connectionStringIn(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "Endpoint=") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// checkHealth asserts the emulator behind the connection string answers HEAD /api/health.
func checkHealth(t *testing.T, cs string) {
	t.Helper()
	client, err := signalr.NewClientFromConnectionString(cs, nil)
	require.NoError(t, err, "the printed connection string parses")
	_, err = client.Health(t.Context(), nil)
	require.NoError(t, err, "HEAD /api/health answers 2xx")
}

// checkTrace asserts the output names the live trace and that the page is served there.
func checkTrace(t *testing.T, out string) {
	t.Helper()
	var traceURL string
	for line := range strings.SplitSeq(out, "\n") {
		if u, ok := strings.CutPrefix(line, "Live trace: "); ok {
			traceURL = strings.TrimSpace(u)
		}
	}
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/trace/$`, traceURL, "the trace address is printed")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, traceURL, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-port", "0", "-upstream", "http://127.0.0.1:9/up"}, &out, io.Discard)
	}()

	require.Eventually(t, func() bool { return connectionStringIn(out.String()) != "" }, 10*time.Second, 10*time.Millisecond)
	cs := connectionStringIn(out.String())
	assert.Contains(t, cs, "AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;", "Microsoft's emulator key, so existing samples work")
	assert.Contains(t, out.String(), "Upstream: hub=* category=* event=* -> http://127.0.0.1:9/up")
	checkHealth(t, cs)
	checkTrace(t, out.String())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	assert.Contains(t, out.String(), "Stopping.")
}

func TestRunRejectsBadFlagsWithoutListening(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"-upstream", "ftp://x"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "not an absolute http(s) URL")
	err = run(t.Context(), []string{"-ip", "203.0.113.7", "-port", "0"}, io.Discard, io.Discard)
	require.Error(t, err, "an address not on this machine cannot be bound")
}

// The program as users run it: built with go build, started, stopped with SIGINT.
func TestBuiltProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program; skipped with -short")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "emulator")
	// go test puts its own GOROOT/bin first on PATH, so this is the toolchain running the test.
	gobin, err := exec.LookPath("go")
	require.NoError(t, err)
	build := exec.CommandContext(t.Context(), gobin, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	cmd := exec.Command(bin, "-port", "0", "-ip", "127.0.0.1", "-config", "settings.json")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("emulator stderr:\n%s", stderr.String())
		}
	})

	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var cs string
	timeout := time.After(15 * time.Second)
	for cs == "" {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "the emulator exited before printing its connection string")
			cs = connectionStringIn(line)
		case <-timeout:
			t.Fatal("no connection string printed within 15s")
		}
	}
	checkHealth(t, cs)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	waited := make(chan error, 1)
	go func() {
		for range lines {
		}
		waited <- cmd.Wait()
	}()
	select {
	case err := <-waited:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("emulator exited with %v after SIGINT; want a clean exit", exitErr)
		}
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("emulator did not stop within 10s of SIGINT")
	}
}

// A port in use says which flag chooses another.
func TestRunNamesPortWhenInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	err = run(t.Context(), []string{"-port", port}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "uses port "+port+"; choose another with -port, or -port 0 for a free one")
}
