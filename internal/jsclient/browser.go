package jsclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ChromiumArgs are the flags Chromium is launched with: headless, no sandbox (containers run
// as root), and no background traffic or QUIC that could reach beyond the test's loopback
// servers.
var ChromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// BrowserOptions configures StartBrowser. A nil *BrowserOptions means defaults.
type BrowserOptions struct {
	// Timeout bounds waits whose context has no deadline; 0 means 15 s.
	Timeout time.Duration
	// ScreenshotDir receives a full-page screenshot when the test fails. "" means
	// $JSCLIENT_ARTIFACTS, else <os.TempDir()>/jsclient-screenshots.
	ScreenshotDir string
}

// BrowserEvent is something the page reported: a console message (Kind "console", Type
// "log", "error", …) or an uncaught error (Kind "pageerror").
type BrowserEvent struct {
	Kind string `json:"event"`
	Type string `json:"type,omitempty"`
	Text string `json:"text,omitempty"`
}

// IsConsole returns a predicate for Browser.WaitFor matching console messages that contain
// text.
func IsConsole(text string) func(BrowserEvent) bool {
	return func(e BrowserEvent) bool { return e.Kind == "console" && strings.Contains(e.Text, text) }
}

// Browser drives one page of a real headless Chromium through playwright-core.
type Browser struct {
	p       *proc[BrowserEvent]
	t       testing.TB
	version string
}

// StartBrowser launches Chromium with one blank page; it skips (or fails under CI=true) when
// Chromium or Node is missing, fails the test when the launch fails, and closes the browser in
// t.Cleanup — after saving a screenshot when the test failed.
func StartBrowser(t testing.TB, opts *BrowserOptions) *Browser {
	t.Helper()
	if opts == nil {
		opts = &BrowserOptions{}
	}
	env, chromium := RequireChromium(t)
	arg, err := json.Marshal(map[string]any{"executablePath": chromium, "args": ChromiumArgs})
	if err != nil {
		t.Fatalf("jsclient: browser config: %v", err)
	}
	p, err := startProc[BrowserEvent](t, env, "chromium", filepath.Join(env.Dir, "browser.js"), opts.Timeout, string(arg))
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{p: p, t: t}
	// Cleanups run last-registered first: this one sees the page before proc.close ends it.
	t.Cleanup(func() { b.screenshotOnFailure(opts.ScreenshotDir) })
	// Launching Chromium takes longer than starting node; allow for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), max(p.timeout, 30*time.Second))
	defer cancel()
	ev, err := p.take(ctx, "browser launch", func(e BrowserEvent) bool { return e.Kind == "ready" || e.Kind == "launchFailed" })
	if err != nil {
		t.Fatalf("jsclient: chromium did not start: %v", err)
	}
	if ev.Kind == "launchFailed" {
		t.Fatalf("jsclient: chromium did not start: %s", ev.Text)
	}
	return b
}

func (b *Browser) screenshotOnFailure(dir string) {
	if !b.t.Failed() {
		return
	}
	if dir == "" {
		dir = os.Getenv("JSCLIENT_ARTIFACTS")
	}
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "jsclient-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("jsclient: no screenshot: %v", err)
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(b.t.Name()) + ".png"
	path := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Screenshot(ctx, path); err != nil {
		b.t.Logf("jsclient: no screenshot: %v", err)
		return
	}
	b.t.Logf("jsclient: screenshot of the failed page: %s", path)
}

// timeoutMs is what playwright may wait: the context's remaining time, or the default.
func (b *Browser) timeoutMs(ctx context.Context) int64 {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl).Milliseconds(), 1)
	}
	return b.p.timeout.Milliseconds()
}

// Goto loads url and waits for its load event; it returns the HTTP status of the document.
func (b *Browser) Goto(ctx context.Context, url string) (int, error) {
	raw, err := b.p.call(ctx, "goto", map[string]any{"url": url, "timeoutMs": b.timeoutMs(ctx)})
	if err != nil {
		return 0, err
	}
	var r struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, fmt.Errorf("jsclient: goto: bad reply: %w", err)
	}
	return r.Status, nil
}

// Eval evaluates a JavaScript expression in the page, awaits it if it is a promise, and
// returns the JSON of its value. A thrown error comes back as a *JSError.
func (b *Browser) Eval(ctx context.Context, expr string) (json.RawMessage, error) {
	raw, err := b.p.call(ctx, "eval", map[string]any{"expr": expr})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("jsclient: eval: bad reply: %w", err)
	}
	return r.Result, nil
}

// WaitForSelector waits until an element matching the CSS selector is visible.
func (b *Browser) WaitForSelector(ctx context.Context, selector string) error {
	_, err := b.p.call(ctx, "waitForSelector", map[string]any{"selector": selector, "timeoutMs": b.timeoutMs(ctx)})
	return err
}

// WaitForText waits until an element containing text is visible.
func (b *Browser) WaitForText(ctx context.Context, text string) error {
	_, err := b.p.call(ctx, "waitForText", map[string]any{"text": text, "timeoutMs": b.timeoutMs(ctx)})
	return err
}

// Click clicks the element matching the CSS selector, waiting for it to be actionable.
func (b *Browser) Click(ctx context.Context, selector string) error {
	_, err := b.p.call(ctx, "click", map[string]any{"selector": selector, "timeoutMs": b.timeoutMs(ctx)})
	return err
}

// Fill types text into the input or textarea matching the CSS selector, replacing its value.
func (b *Browser) Fill(ctx context.Context, selector, text string) error {
	_, err := b.p.call(ctx, "fill", map[string]any{"selector": selector, "text": text, "timeoutMs": b.timeoutMs(ctx)})
	return err
}

// Screenshot saves a full-page PNG to path.
func (b *Browser) Screenshot(ctx context.Context, path string) error {
	_, err := b.p.call(ctx, "screenshot", map[string]any{"path": path})
	return err
}

// Content returns the page's current HTML.
func (b *Browser) Content(ctx context.Context) (string, error) {
	raw, err := b.p.call(ctx, "content", nil)
	if err != nil {
		return "", err
	}
	var r struct {
		HTML string `json:"html"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("jsclient: content: bad reply: %w", err)
	}
	return r.HTML, nil
}

// WaitFor removes and returns the oldest page event match accepts, waiting for one.
func (b *Browser) WaitFor(ctx context.Context, match func(BrowserEvent) bool) (BrowserEvent, error) {
	return b.p.take(ctx, "page event", match)
}

// Assets serves the official client's browser bundles from node_modules, for test pages:
// /signalr.js (global "signalR") and /signalr-protocol-msgpack.js (global "signalR.protocols.msgpack").
// Mount it with http.StripPrefix when it does not sit at the root.
func Assets(t testing.TB) http.Handler {
	t.Helper()
	env := Require(t)
	files := map[string]string{
		"/signalr.js":                  "node_modules/@microsoft/signalr/dist/browser/signalr.js",
		"/signalr-protocol-msgpack.js": "node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.js",
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, filepath.Join(env.Dir, filepath.FromSlash(rel)))
	})
}
