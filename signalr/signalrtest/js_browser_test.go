package signalrtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/signalr"
)

const browserPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>cross-origin client</title>
<script src="/js/signalr.js"></script>
<script src="/js/signalr-protocol-msgpack.js"></script></head>
<body><p id="status">idle</p></body></html>`

// A page on another origin connects to the emulator through real Chromium, over every
// transport × protocol: the browser client sends credentials (withCredentials defaults to
// true), passes the token as access_token on WebSocket and SSE URLs, and needs CORS answers
// that echo its origin.
func TestJSBrowserCrossOrigin(t *testing.T) {
	t.Parallel()
	jsclient.RequireChromium(t)
	e := newJSEnv(t, nil)

	mux := http.NewServeMux()
	mux.Handle("/js/", http.StripPrefix("/js", jsclient.Assets(t)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(browserPage))
	})
	page := httptest.NewServer(mux)
	t.Cleanup(page.Close)
	require.NotEqual(t, page.URL, e.srv.URL, "the page must be on another origin")

	const hubName = "browser"
	type connCfg struct {
		Name      string `json:"name"`
		Transport string `json:"transport"`
		Protocol  string `json:"protocol"`
		URL       string `json:"url"`
		Token     string `json:"token"`
	}
	var cfgs []connCfg
	for _, combo := range jsclient.Combinations() {
		cfgs = append(cfgs, connCfg{combo.Name(), string(combo.Transport), string(combo.Protocol), e.clientURL(hubName), e.token(t, hubName, "browser-user")})
	}
	cfgJSON, err := json.Marshal(cfgs)
	require.NoError(t, err)

	b := jsclient.StartBrowser(t, nil)
	ctx := ctxFor(t)
	_, err = b.Goto(ctx, page.URL+"/")
	require.NoError(t, err)

	raw, err := b.Eval(ctx, fmt.Sprintf(`(async () => {
		const cfgs = %s;
		window.conns = {};
		const ids = {};
		for (const c of cfgs) {
			let builder = new signalR.HubConnectionBuilder()
				.withUrl(c.url, { transport: signalR.HttpTransportType[c.transport], accessTokenFactory: () => c.token })
				.configureLogging(signalR.LogLevel.Warning);
			if (c.protocol === "messagepack") {
				builder = builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
			}
			const conn = builder.build();
			conn.on("news", (text) => console.log("news " + c.name + " " + text));
			await conn.start();
			ids[c.name] = conn.connectionId;
			window.conns[c.name] = conn;
		}
		document.getElementById("status").textContent = "connected";
		return ids;
	})()`, cfgJSON))
	require.NoError(t, err)
	var ids map[string]string
	require.NoError(t, json.Unmarshal(raw, &ids))
	require.Len(t, ids, len(cfgs))
	require.NoError(t, b.WaitForText(ctx, "connected"))

	_, err = hubOf(t, e.client, hubName).SendToAll(ctx, signalr.Message{Target: "news", Arguments: []any{"to everyone"}}, nil)
	require.NoError(t, err)
	for _, c := range cfgs {
		_, err := b.WaitFor(ctx, jsclient.IsConsole("news "+c.Name+" to everyone"))
		require.NoError(t, err, c.Name)
	}
	for _, c := range cfgs {
		_, err := hubOf(t, e.client, hubName).SendToConnection(ctx, ids[c.Name], signalr.Message{Target: "news", Arguments: []any{"just you"}}, nil)
		require.NoError(t, err)
		_, err = b.WaitFor(ctx, jsclient.IsConsole("news "+c.Name+" just you"))
		require.NoError(t, err, c.Name)
	}

	// invoke() from the page goes upstream and back.
	raw, err = b.Eval(ctx, `(async () => {
		const out = {};
		for (const [name, conn] of Object.entries(window.conns)) {
			out[name] = await conn.invoke("echo", "echo " + name);
			await conn.stop();
		}
		return out;
	})()`)
	require.NoError(t, err)
	var echoes map[string]string
	require.NoError(t, json.Unmarshal(raw, &echoes))
	for _, c := range cfgs {
		assert.Equal(t, "echo "+c.Name, echoes[c.Name])
		call := e.up.wait(t, "invoke from "+c.Name, event(ids[c.Name], "messages", "echo"))
		assert.Equal(t, "browser-user", call.UserID)
	}
}

// What the browser relies on above, checked on the wire: a preflight for the negotiate POST
// is answered for the page's origin, with credentials and the client's headers allowed.
func TestJSBrowserPreflight(t *testing.T) {
	t.Parallel()
	e := newJSEnv(t, nil)
	const origin = "http://127.0.0.1:5555"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, e.clientURL("chat")+"&negotiateVersion=1", nil)
	require.NoError(t, err)
	req.URL.Path = "/client/negotiate"
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,x-requested-with,x-signalr-user-agent")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Less(t, resp.StatusCode, 300, "preflight status")
	assert.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	// With credentials a literal "*" is not a wildcard to browsers: each header must be named.
	allowed := map[string]bool{}
	for _, h := range strings.Split(resp.Header.Get("Access-Control-Allow-Headers"), ",") {
		allowed[strings.ToLower(strings.TrimSpace(h))] = true
	}
	for _, h := range []string{"authorization", "x-requested-with", "x-signalr-user-agent"} {
		assert.True(t, allowed[h], "Access-Control-Allow-Headers lacks %s", h)
	}
}
