package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// A refused change shows the server's reason, not only its status.
func TestPageShowsTheServersError(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	s := startTasklist(t)
	ctx := ctxFor(t)
	b := jsclient.StartBrowser(t, nil)
	_, err := b.Goto(ctx, s.URL)
	require.NoError(t, err)
	require.NoError(t, b.WaitForSelector(ctx, `#status[data-state="connected"]`))
	_, err = b.Eval(ctx, `(() => {
		document.getElementById("title").value = "   ";
		document.getElementById("add-button").click();
		return true;
	})()`)
	require.NoError(t, err)
	require.NoError(t, b.WaitForSelector(ctx, `#error:has-text("addTask failed: 400 title is empty")`))
}
