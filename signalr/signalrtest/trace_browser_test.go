package signalrtest_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// traceShowWithin is how soon the trace page must show what happened.
const traceShowWithin = time.Second

// tracePage drives the trace page in Chromium.
type tracePage struct {
	t *testing.T
	b *jsclient.Browser
}

// shows polls a JavaScript boolean expression on the page until it is true, failing the test
// when within passes first. It logs the event rows on failure; the browser keeps a
// screenshot.
func (p *tracePage) shows(what, expr string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		raw, err := p.b.Eval(ctx, "(() => { "+traceDOMHelpers+" return !!("+expr+"); })()")
		cancel()
		if err == nil && string(raw) == "true" {
			return
		}
		if time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			rows, _ := p.b.Eval(ctx, `[...document.querySelectorAll("#event-rows tr, #hubs tr")].map(r => r.innerText).join("\n")`)
			cancel()
			p.t.Fatalf("the trace page did not show %s within %v (last error: %v); rows:\n%s", what, within, err, rows)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of the condition above
	}
}

// traceDOMHelpers are the page queries the assertions use.
const traceDOMHelpers = `
const rows = (sel) => [...document.querySelectorAll("#event-rows " + sel)];
const ev = (kind, attr, value) => rows("tr.ev[data-kind='" + kind + "']").filter(r => attr === undefined || r.getAttribute(attr) === value);
const conn = (id) => document.querySelector("#hubs tr.conn[data-connection='" + id + "']");
const text = (r) => r ? r.innerText : "";
`

func (p *tracePage) count(expr string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := p.b.Eval(ctx, "(() => { "+traceDOMHelpers+" return "+expr+"; })()")
	require.NoError(p.t, err)
	n, err := strconv.Atoi(string(raw))
	require.NoError(p.t, err, string(raw))
	return n
}

// artifactsRequested reports whether go test was given -artifacts, so that t.ArtifactDir is
// kept after the test.
func artifactsRequested() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}

// The live trace in a real browser: the page shows two official clients' connections, a REST
// broadcast reaching both, and an invocation answered through the upstream, each within a
// second; a filter by user hides the other user's events; pause holds new events back.
func TestJSBrowserTrace(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	e := newJSEnv(t, nil)
	opts := &jsclient.BrowserOptions{}
	if artifactsRequested() {
		opts.ScreenshotDir = t.ArtifactDir()
	}
	b := jsclient.StartBrowser(t, opts)
	p := &tracePage{t: t, b: b}
	ctx := ctxFor(t)

	status, err := b.Goto(ctx, e.srv.URL+"/trace/")
	require.NoError(t, err)
	require.Equal(t, 200, status)
	p.shows("its stream live", `document.getElementById("status").textContent === "live"`, 15*time.Second)

	const hub = "chat"
	alice := e.start(t, jsclient.Combination{Transport: jsclient.WebSockets, Protocol: jsclient.JSON}, hub, "alice", jsclient.Config{Targets: []string{"news"}})
	bob := e.start(t, jsclient.Combination{Transport: jsclient.LongPolling, Protocol: jsclient.MessagePack}, hub, "bob", jsclient.Config{Targets: []string{"news"}})
	aliceID, bobID := alice.ConnectionID(), bob.ConnectionID()

	p.shows("both connections with their user, transport and protocol", fmt.Sprintf(`
		text(conn(%[1]q)).includes("alice") && text(conn(%[1]q)).includes("WebSockets") && text(conn(%[1]q)).includes("json") &&
		text(conn(%[2]q)).includes("bob") && text(conn(%[2]q)).includes("LongPolling") && text(conn(%[2]q)).includes("messagepack") &&
		ev("connected", "data-connection", %[1]q).length === 1 && ev("connected", "data-connection", %[2]q).length === 1`,
		aliceID, bobID), traceShowWithin)

	_, err = hubOf(t, e.client, hub).SendToAll(ctx, signalr.Message{Target: "news", Arguments: []any{"to everyone"}}, nil)
	require.NoError(t, err)
	p.shows("the broadcast reaching two connections, and a message to each", fmt.Sprintf(`
		ev("rest").some(r => text(r).includes("POST /api/hubs/chat/:send") && text(r).includes("→ 202") && text(r).includes("reached 2 connections")) &&
		ev("message", "data-connection", %q).some(r => text(r).includes("news(\"to everyone\")")) &&
		ev("message", "data-connection", %q).some(r => text(r).includes("news(\"to everyone\")"))`, aliceID, bobID), traceShowWithin)
	for _, c := range []*jsclient.Client{alice, bob} {
		_, err := c.WaitFor(ctx, jsclient.IsMessage("news"))
		require.NoError(t, err)
	}

	res, err := alice.Invoke(ctx, "echo", "ping")
	require.NoError(t, err)
	assert.JSONEq(t, `"ping"`, string(res))
	p.shows("the invocation and the upstream call with its Completion", fmt.Sprintf(`
		ev("invoke", "data-connection", %[1]q).some(r => text(r).includes("echo(\"ping\")")) &&
		ev("upstream", "data-connection", %[1]q).some(r => text(r).includes("messages/echo") && text(r).includes("· 200") && text(r).includes("result \"ping\""))`,
		aliceID), traceShowWithin)

	// A filter by user hides the other user's events and connections.
	require.NoError(t, b.Fill(ctx, "#f-user", "alice"))
	p.shows("only alice's events", `
		rows("tr.ev[data-user='bob']").length === 0 && rows("tr.ev[data-user='alice']").length >= 4 &&
		rows("tr.ev:not([data-user='alice'])").length === 0 &&
		document.querySelectorAll("#hubs tr.conn").length === 1`, traceShowWithin)
	assert.Contains(t, mustEval(t, b, `location.search`), "user=alice", "the filter is kept in the address")
	require.NoError(t, b.Fill(ctx, "#f-user", ""))
	p.shows("bob's events again", fmt.Sprintf(`ev("connected", "data-connection", %q).length === 1`, bobID), traceShowWithin)

	// Filter by kind through the checkboxes.
	require.NoError(t, b.Click(ctx, "#kind-message"))
	p.shows("no message events", `ev("message").length === 0 && ev("rest").length > 0`, traceShowWithin)
	require.NoError(t, b.Click(ctx, "#kind-message"))
	p.shows("message events again", `ev("message").length === 2`, traceShowWithin)

	// Pause holds new events back and counts them; resume shows them.
	restRows := p.count(`ev("rest").length`)
	require.NoError(t, b.Click(ctx, "#pause"))
	_, err = hubOf(t, e.client, hub).SendToUser(ctx, "bob", signalr.Message{Target: "news", Arguments: []any{"just bob"}}, nil)
	require.NoError(t, err)
	p.shows("new events counted while paused", `/paused · [1-9]\d* new/.test(document.getElementById("shown").textContent)`, traceShowWithin)
	assert.Equal(t, restRows, p.count(`ev("rest").length`), "no row is added while paused")
	require.NoError(t, b.Click(ctx, "#pause"))
	p.shows("the held-back send after resuming", `ev("rest").some(r => text(r).includes("/users/bob/:send") && text(r).includes("reached 1 connection"))`, traceShowWithin)

	p.shows("an events-per-second counter and a total", `/^\d+ events\/s$/.test(document.getElementById("rate").textContent) &&
		parseInt(document.getElementById("total").textContent) >= 10`, traceShowWithin)
	html, err := b.Content(ctx)
	require.NoError(t, err)
	for _, secret := range []string{e.srv.AccessKeys()[0], "access_token", "eyJhbGciOi"} {
		assert.NotContains(t, html, secret)
	}
	_, err = b.WaitFor(ctxWithin(t, 50*time.Millisecond), func(ev jsclient.BrowserEvent) bool {
		return ev.Kind == "pageerror" || (ev.Kind == "console" && ev.Type == "error")
	})
	assert.Error(t, err, "the page logged no error and raised no uncaught one")
}

func mustEval(t *testing.T, b *jsclient.Browser, expr string) string {
	t.Helper()
	raw, err := b.Eval(ctxFor(t), expr)
	require.NoError(t, err)
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), string(raw))
	return s
}

func ctxWithin(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
