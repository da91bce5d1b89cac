package jsclient

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Env locates the tools a harness run needs.
type Env struct {
	// Node is the path of the node executable.
	Node string
	// Dir is the harness directory: the driver scripts and their node_modules.
	Dir string
}

// minNodeMajor is the oldest Node the official client supports with our drivers
// (global fetch is not required: the client brings node-fetch, ws and eventsource).
const minNodeMajor = 18

var (
	envOnce sync.Once
	envVal  Env
	envErr  string
)

// Require returns the Node environment, or ends the test when it is missing: t.Skip with a
// message saying what to install, except under CI=true, where a missing tool is a failure
// (t.Fatal) so conformance tests can never be skipped silently in CI.
func Require(t testing.TB) Env {
	t.Helper()
	envOnce.Do(func() { envVal, envErr = lookupNode() })
	if envErr != "" {
		unavailable(t, envErr)
	}
	return envVal
}

// harnessDir is the directory holding this file, the drivers and node_modules. Tests always
// run from a source tree, so the compile-time path is valid.
func harnessDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	return filepath.Dir(file)
}

func lookupNode() (Env, string) {
	node := os.Getenv("NODE")
	if node == "" {
		p, err := exec.LookPath("node")
		if err != nil {
			return Env{}, "node not found; install Node 20 to run the JS client tests"
		}
		node = p
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return Env{}, "node " + node + " does not run (" + err.Error() + "); install Node 20 to run the JS client tests"
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	if major < minNodeMajor {
		return Env{}, "node " + v + " is too old; install Node 20 to run the JS client tests"
	}
	dir := harnessDir()
	for _, pkg := range []string{"@microsoft/signalr", "@microsoft/signalr-protocol-msgpack", "ws", "playwright-core"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
			return Env{}, "node_modules is incomplete (" + pkg + " missing); run `make js` (npm ci in internal/jsclient) to install the JS client"
		}
	}
	return Env{Node: node, Dir: dir}, ""
}

// chromiumPath is where Debian installs Chromium; CHROMIUM_PATH overrides it.
const chromiumPath = "/usr/bin/chromium"

// RequireChromium returns the Node environment and the Chromium executable, with the same
// rule as Require: skip when missing outside CI, fail under CI=true.
func RequireChromium(t testing.TB) (Env, string) {
	t.Helper()
	env := Require(t)
	path := os.Getenv("CHROMIUM_PATH")
	if path == "" {
		path = chromiumPath
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		unavailable(t, "chromium not found at "+path+"; install Chromium (apt-get install chromium) or set CHROMIUM_PATH to run the browser tests")
	}
	return env, path
}

// inCI reports whether missing tools must fail the test instead of skipping it.
func inCI() bool { return os.Getenv("CI") == "true" }

func unavailable(t testing.TB, msg string) {
	t.Helper()
	if inCI() {
		t.Fatal("jsclient: " + msg + " (CI=true: the JS client tests must run)")
		return
	}
	t.Skip(msg)
}
