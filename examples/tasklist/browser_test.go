package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// A task added in one browser appears in another without a reload, and so does completing it.
func TestTasklistInBrowser(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	s := startTasklist(t)
	ctx := ctxFor(t)

	open := func() *jsclient.Browser {
		b := jsclient.StartBrowser(t, nil)
		_, err := b.Goto(ctx, s.URL)
		require.NoError(t, err)
		require.NoError(t, b.WaitForSelector(ctx, `#status[data-state="connected"]`))
		// Marks the document: a reload would lose the mark.
		_, err = b.Eval(ctx, `(() => { window.loadedOnce = true; return true })()`)
		require.NoError(t, err)
		return b
	}
	a, b := open(), open()

	_, err := a.Eval(ctx, `(() => {
		document.getElementById("title").value = "water the plants";
		document.getElementById("add-button").click();
		return true;
	})()`)
	require.NoError(t, err)
	for _, p := range []*jsclient.Browser{a, b} {
		require.NoError(t, p.WaitForSelector(ctx, `#tasks li[data-done="false"]:has-text("water the plants")`))
	}

	// Completing in B shows in A.
	_, err = b.Eval(ctx, `(() => { document.querySelector('#tasks li input[type=checkbox]').click(); return true })()`)
	require.NoError(t, err)
	require.NoError(t, a.WaitForSelector(ctx, `#tasks li[data-done="true"]:has-text("water the plants")`))

	if dir := os.Getenv("EXAMPLES_SCREENSHOT_DIR"); dir != "" {
		// For a person checking how the page looks.
		require.NoError(t, a.Screenshot(ctx, filepath.Join(dir, "tasklist.png")))
	}

	for i, p := range []*jsclient.Browser{a, b} {
		raw, err := p.Eval(ctx, `({reloaded: window.loadedOnce !== true, error: document.getElementById("error").textContent})`)
		require.NoError(t, err)
		var state struct {
			Reloaded bool   `json:"reloaded"`
			Error    string `json:"error"`
		}
		require.NoError(t, json.Unmarshal(raw, &state))
		assert.False(t, state.Reloaded, fmt.Sprintf("page %d reloaded", i))
		assert.Empty(t, state.Error, fmt.Sprintf("page %d", i))
	}
}
