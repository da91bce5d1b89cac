package jsclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

const testPage = `<!doctype html>
<html><head><title>harness</title><script src="/js/signalr.js"></script></head>
<body>
<p id="greeting">loading</p>
<button id="go" onclick="document.getElementById('greeting').textContent = 'clicked'">go</button>
<input id="name"><button id="greet" onclick="document.getElementById('greeting').textContent = 'hi ' + document.getElementById('name').value">greet</button>
<script>
document.getElementById('greeting').textContent = 'hello from the page';
console.log('page ready', typeof signalR.HubConnectionBuilder);
</script>
</body></html>`

func newPageServer(t *testing.T) *fakeHub {
	mux := http.NewServeMux()
	mux.Handle("/js/", http.StripPrefix("/js", jsclient.Assets(t)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(testPage))
	})
	return newFakeHubWith(t, mux)
}

func TestBrowserPage(t *testing.T) {
	t.Parallel()
	srv := newPageServer(t)
	b := jsclient.StartBrowser(t, nil)
	ctx := ctxT(t)

	status, err := b.Goto(ctx, srv.srv.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	ev, err := b.WaitFor(ctx, jsclient.IsConsole("page ready"))
	require.NoError(t, err)
	assert.Equal(t, "page ready function", ev.Text, "the official browser bundle loaded")
	require.NoError(t, b.WaitForText(ctx, "hello from the page"))
	require.NoError(t, b.WaitForSelector(ctx, "#go"))

	got, err := b.Eval(ctx, `(async () => { document.getElementById('go').click(); return document.getElementById('greeting').textContent; })()`)
	require.NoError(t, err)
	assert.JSONEq(t, `"clicked"`, string(got))

	_, err = b.Eval(ctx, `(() => { throw new Error("thrown in page"); })()`)
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr)
	assert.Contains(t, jsErr.Message, "thrown in page")

	require.NoError(t, b.Fill(ctx, "#name", "Ada"))
	require.NoError(t, b.Click(ctx, "#greet"))
	require.NoError(t, b.WaitForText(ctx, "hi Ada"))
	require.NoError(t, b.Click(ctx, "#go"))

	html, err := b.Content(ctx)
	require.NoError(t, err)
	assert.Contains(t, html, `id="greeting">clicked<`)

	shot := filepath.Join(t.TempDir(), "page.png")
	require.NoError(t, b.Screenshot(ctx, shot))
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG file")

	short, cancel := context.WithTimeout(ctx, 300e6)
	defer cancel()
	require.Error(t, b.WaitForText(short, "text that never appears"))
}

// The browser bundle of the official client, served by Assets, talks to a server the same
// way the Node client does.
func TestBrowserSignalRClient(t *testing.T) {
	t.Parallel()
	srv := newPageServer(t)
	b := jsclient.StartBrowser(t, nil)
	ctx := ctxT(t)
	_, err := b.Goto(ctx, srv.srv.URL+"/")
	require.NoError(t, err)
	got, err := b.Eval(ctx, `(async () => {
		const c = new signalR.HubConnectionBuilder().withUrl("/hub", { transport: signalR.HttpTransportType.WebSockets }).build();
		await c.start();
		const r = await c.invoke("echo", { from: "chromium" });
		await c.stop();
		return r;
	})()`)
	require.NoError(t, err)
	var r map[string]string
	require.NoError(t, json.Unmarshal(got, &r))
	assert.Equal(t, map[string]string{"from": "chromium"}, r)
}

func TestAssetsUnknownPath(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	jsclient.Assets(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope.js", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = httptest.NewRecorder()
	jsclient.Assets(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signalr-protocol-msgpack.js", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "MessagePackHubProtocol")
}
