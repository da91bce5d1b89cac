package negotiate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// jsApp is the emulated service plus an app serving our negotiate handler at /api/negotiate.
type jsApp struct {
	service *signalrtest.Server
	client  *signalr.Client
	app     *httptest.Server
}

func newJSApp(t *testing.T, opts *negotiate.HandlerOptions) *jsApp {
	t.Helper()
	service := signalrtest.NewServer(nil)
	t.Cleanup(service.Close)
	client, err := signalr.NewClientFromConnectionString(service.ConnectionString(), nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	n, err := negotiate.New(client, nil)
	require.NoError(t, err)
	h, err := negotiate.Handler(n, "chat", opts)
	require.NoError(t, err)
	mux.Handle("/api/negotiate", h)
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	return &jsApp{service: service, client: client, app: app}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The official client, given withUrl(<app>/api), negotiates with our handler, follows the
// {url, accessToken} redirect to the service and connects as the user App Service named; a
// send to that user then reaches it, over every transport and protocol.
func TestJSClientFollowsNegotiateRedirect(t *testing.T) {
	jsclient.Require(t)
	e := newJSApp(t, &negotiate.HandlerOptions{RequireUser: true})
	for _, combo := range jsclient.Combinations() {
		t.Run(combo.Name(), func(t *testing.T) {
			ctx := testContext(t)
			user := "user-" + string(combo.Transport) + "-" + string(combo.Protocol)
			c := jsclient.Start(t, jsclient.Config{
				URL:       e.app.URL + "/api",
				Transport: combo.Transport,
				Protocol:  combo.Protocol,
				Headers:   map[string]string{negotiate.HeaderClientPrincipalID: user},
				Targets:   []string{"newMessage"},
			})
			require.NotEmpty(t, c.ConnectionID())

			_, err := hubOf(t, e.client, "chat").SendToUser(ctx, user, signalr.Message{Target: "newMessage", Arguments: []any{"hello " + user}}, nil)
			require.NoError(t, err)
			ev, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
			require.NoError(t, err)
			var text string
			require.NoError(t, ev.Arg(0, &text))
			assert.Equal(t, "hello "+user, text)
		})
	}
}

// A negotiate error reaches the developer as the client's start() error.
func TestJSClientShowsNegotiateError(t *testing.T) {
	jsclient.Require(t)
	e := newJSApp(t, &negotiate.HandlerOptions{RequireUser: true})
	_, err := jsclient.Connect(t, jsclient.Config{URL: e.app.URL + "/api", Timeout: 15 * time.Second})
	require.Error(t, err)
	var jsErr *jsclient.JSError
	require.ErrorAs(t, err, &jsErr)
	assert.Contains(t, jsErr.Message, "401")
}

const browserPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>negotiate</title>
<script src="/js/signalr.js"></script></head>
<body><p id="status">idle</p></body></html>`

// In Chromium, a page on one origin negotiates with the app on another (credentials included,
// as the client does by default) and connects to the service: the CORS answers must echo the
// page's origin. A page whose origin is not allowed is refused by the browser.
func TestJSBrowserNegotiatesCrossOrigin(t *testing.T) {
	jsclient.RequireChromium(t)
	mux := http.NewServeMux()
	mux.Handle("/js/", http.StripPrefix("/js", jsclient.Assets(t)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(browserPage))
	})
	page := httptest.NewServer(mux)
	t.Cleanup(page.Close)

	allowed := newJSApp(t, &negotiate.HandlerOptions{
		AllowedOrigins: []string{page.URL},
		UserID:         func(*http.Request) (string, error) { return "browser-user", nil },
	})
	refused := newJSApp(t, &negotiate.HandlerOptions{AllowedOrigins: []string{"https://elsewhere.example.com"}})

	ctx := testContext(t)
	b := jsclient.StartBrowser(t, nil)
	_, err := b.Goto(ctx, page.URL+"/")
	require.NoError(t, err)

	raw, err := b.Eval(ctx, fmt.Sprintf(`(async () => {
		const conn = new signalR.HubConnectionBuilder().withUrl(%q).configureLogging(signalR.LogLevel.Warning).build();
		conn.on("newMessage", (text) => console.log("got " + text));
		await conn.start();
		window.conn = conn;
		let refused = "";
		try {
			await new signalR.HubConnectionBuilder().withUrl(%q).configureLogging(signalR.LogLevel.None).build().start();
		} catch (e) {
			refused = String(e);
		}
		document.getElementById("status").textContent = "connected";
		return {id: conn.connectionId, refused};
	})()`, allowed.app.URL+"/api", refused.app.URL+"/api"))
	require.NoError(t, err)
	var out struct{ ID, Refused string }
	require.NoError(t, json.Unmarshal(raw, &out))
	require.NotEmpty(t, out.ID)
	assert.NotEmpty(t, out.Refused, "a disallowed origin must not get a token")

	_, err = hubOf(t, allowed.client, "chat").SendToUser(ctx, "browser-user", signalr.Message{Target: "newMessage", Arguments: []any{"hi"}}, nil)
	require.NoError(t, err)
	_, err = b.WaitFor(ctx, jsclient.IsConsole("got hi"))
	require.NoError(t, err)
}

// hubOf returns c's client for hub, failing the test on an invalid name.
func hubOf(t testing.TB, c *signalr.Client, hub string) *signalr.HubClient {
	t.Helper()
	h, err := c.Hub(hub)
	require.NoError(t, err)
	return h
}
