package main

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// At a phone's width (420 CSS pixels) the page has no horizontal scrolling: it is loaded in a
// 420-pixel frame of itself, connected, and its document may not be wider than the frame.
func TestPageAtPhoneWidth(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	s := startChat(t)
	ctx := ctxFor(t)
	p := openPage(t, ctx, s.URL)
	p.eval(`new Promise((resolve) => {
		const f = document.createElement("iframe");
		f.id = "phone";
		f.style.cssText = "width:420px;height:800px;border:0";
		f.onload = () => resolve(true);
		f.src = location.href;
		document.body.append(f);
	})`, nil)
	frame := `document.getElementById("phone").contentWindow`
	p.eval(frame+`.document.getElementById("name").value = "a-rather-long-user-name-for-a-phone"`, nil)
	p.eval(frame+`.document.getElementById("connect").click()`, nil)
	require.NoError(t, p.b.WaitForSelector(ctx, `#phone`))
	var state string
	for state != "connected" {
		p.eval(frame+`.document.getElementById("status").dataset.state`, &state)
		require.NoError(t, ctx.Err(), "the framed page did not connect")
	}
	var widths struct{ Scroll, Client int }
	p.eval(fmt.Sprintf(`({Scroll: %[1]s.document.documentElement.scrollWidth, Client: %[1]s.document.documentElement.clientWidth})`, frame), &widths)
	assert.Equal(t, 420, widths.Client)
	assert.LessOrEqual(t, widths.Scroll, widths.Client, "the page scrolls sideways at 420 px")
}

// What the page says when a send would otherwise pass in silence, and the names it refuses.
func TestPageFeedback(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	s := startChat(t)
	ctx := ctxFor(t)
	alice := openPage(t, ctx, s.URL)

	alice.fill("name", "   ")
	alice.click("connect")
	require.NoError(t, alice.b.WaitForSelector(ctx, `#error:has-text("spaces alone are no name")`))
	var state string
	alice.eval(`document.getElementById("status").dataset.state`, &state)
	assert.Equal(t, "disconnected", state)

	alice.login("alice")
	alice.see("system", "alice joined")
	alice.fill("group", "gophers")
	alice.fill("group-text", "anyone here?")
	alice.click("send-group")
	alice.see("system", "(sent to gophers, which you have not joined")
	alice.click("join")
	alice.see("system", "joined gophers")
	alice.fill("group-text", "now a member")
	alice.click("send-group")
	alice.see("group", "now a member")
	assert.Equal(t, 1, countSystem(alice, "which you have not joined"), "no note once a member")

	alice.fill("dm-to", "nobody")
	alice.fill("dm-text", "hello?")
	alice.click("send-dm")
	alice.see("system", "(nobody has not joined since you connected")
	alice.fill("dm-to", "alice")
	alice.fill("dm-text", "note to self")
	alice.click("send-dm")
	alice.see("dm", "note to self")
	assert.Equal(t, 1, countSystem(alice, "has not joined since you connected"), "no note for a user online")

	alice.fill("dm-to", "  ")
	alice.click("send-dm")
	require.NoError(t, alice.b.WaitForSelector(ctx, `#error:has-text("Enter who the message is for")`))
}

func countSystem(p *page, text string) int {
	p.t.Helper()
	var n int
	p.eval(fmt.Sprintf(`[...document.querySelectorAll('#messages li[data-kind="system"]')].filter((li) => li.textContent.includes(%q)).length`, text), &n)
	return n
}

// The page names its icon, so browsers do not ask for /favicon.ico and log a 404.
func TestPageHasAnIcon(t *testing.T) {
	t.Parallel()
	s := startChat(t)
	resp, err := http.Get(s.URL + "api/web/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(body), `<link rel="icon" href="data:,">`)
}
