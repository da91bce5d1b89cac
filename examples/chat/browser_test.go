package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// page drives the chat page in one Chromium.
type page struct {
	t   *testing.T
	ctx context.Context
	b   *jsclient.Browser
}

func openPage(t *testing.T, ctx context.Context, url string) *page {
	t.Helper()
	p := &page{t: t, ctx: ctx, b: jsclient.StartBrowser(t, nil)}
	status, err := p.b.Goto(ctx, url)
	require.NoError(t, err)
	require.Equal(t, 200, status)
	return p
}

// eval runs JavaScript in the page and decodes its value into v (nil ignores it).
func (p *page) eval(js string, v any) {
	p.t.Helper()
	raw, err := p.b.Eval(p.ctx, js)
	require.NoError(p.t, err, js)
	if v != nil {
		require.NoError(p.t, json.Unmarshal(raw, v))
	}
}

// fill sets the value of the input with the given id.
func (p *page) fill(id, value string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => { document.getElementById(%q).value = %q; return true })()`, id, value), nil)
}

// click clicks the button with the given id, as a user would.
func (p *page) click(id string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => { document.getElementById(%q).click(); return true })()`, id), nil)
}

// see waits for a message of kind containing text.
func (p *page) see(kind, text string) {
	p.t.Helper()
	require.NoError(p.t, p.b.WaitForSelector(p.ctx, fmt.Sprintf(`#messages li[data-kind=%q]:has-text(%q)`, kind, text)), "waiting for %s message %q", kind, text)
}

// count returns how many messages of kind the page shows.
func (p *page) count(kind string) int {
	p.t.Helper()
	var n int
	p.eval(fmt.Sprintf(`document.querySelectorAll('#messages li[data-kind=%q]').length`, kind), &n)
	return n
}

func (p *page) login(name string) {
	p.t.Helper()
	p.fill("name", name)
	p.click("connect")
	require.NoError(p.t, p.b.WaitForSelector(p.ctx, `#status[data-state="connected"]`))
}

// barrier broadcasts a marker from p and waits until every page has it: whatever the service sent
// before has arrived by then, so an absent message is absent for good.
func barrier(from *page, marker string, pages ...*page) {
	from.fill("message", marker)
	from.click("send-all")
	for _, p := range pages {
		p.see("all", marker)
	}
}

// Two users in two browsers: chat to all, a DM only the target sees, a group only members
// see, the hub's send and invoke, and the announcement when a page goes away.
func TestChatInBrowser(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	s := startChat(t)
	ctx := ctxFor(t)

	alice := openPage(t, ctx, s.URL)
	bob := openPage(t, ctx, s.URL)
	alice.login("alice")
	bob.login("bob")
	alice.see("system", "bob joined")

	alice.fill("message", "hello everyone")
	alice.click("send-all")
	alice.see("all", "hello everyone")
	bob.see("all", "hello everyone")

	alice.fill("dm-to", "bob")
	alice.fill("dm-text", "just for bob")
	alice.click("send-dm")
	bob.see("dm", "just for bob")
	alice.see("system", "to bob: just for bob")
	barrier(bob, "after the DM", alice, bob)
	assert.Zero(t, alice.count("dm"), "the DM reached only its target")

	bob.fill("group", "gophers")
	bob.click("join")
	bob.see("system", "joined gophers")
	alice.fill("group", "gophers")
	alice.fill("group-text", "hello gophers")
	alice.click("send-group")
	bob.see("group", "hello gophers")
	barrier(bob, "after the group message", alice, bob)
	assert.Zero(t, alice.count("group"), "the group message reached only members")

	bob.click("leave")
	bob.see("system", "left gophers")
	alice.fill("group-text", "gophers only")
	alice.click("send-group")
	barrier(alice, "after leaving", alice, bob)
	assert.Equal(t, 1, bob.count("group"), "no group messages after leaving")
	var errText string
	alice.eval(`document.getElementById("error").textContent`, &errText)
	assert.Empty(t, errText, "every call so far succeeded")

	bob.fill("message", "through the hub")
	bob.click("send-hub")
	alice.see("all", "through the hub")
	bob.see("all", "through the hub")

	alice.fill("echo-text", "test")
	alice.click("echo")
	require.NoError(t, alice.b.WaitForSelector(ctx, `#echo-result:has-text("test")`))

	if dir := os.Getenv("EXAMPLES_SCREENSHOT_DIR"); dir != "" {
		// For a person checking how the page looks.
		require.NoError(t, alice.b.Screenshot(ctx, filepath.Join(dir, "chat.png")))
	}

	alice.eval(`document.getElementById("error").textContent`, &errText)
	assert.Empty(t, errText)

	// A rejected call shows the function's reason.
	alice.fill("dm-text", "")
	alice.click("send-dm")
	require.NoError(t, alice.b.WaitForSelector(ctx, `#error:has-text("sendToUser failed: 400 text is empty")`))

	_, err := bob.b.Goto(ctx, "about:blank")
	require.NoError(t, err)
	alice.see("system", "bob left")
}
