// Package jsclient runs the official SignalR JavaScript client (@microsoft/signalr, with
// @microsoft/signalr-protocol-msgpack) and a real headless Chromium from go test, so tests
// judge our servers by the client people actually use rather than by a Go client of our own.
//
// The JavaScript is test-time only: package.json and package-lock.json in this directory pin
// the client versions, and `make js` (npm ci) installs them. Require and RequireChromium skip
// a test with a message naming what to install when Node, node_modules or Chromium is
// missing — except under CI=true, where a missing tool fails the test, so the conformance
// suite can never pass by being skipped.
//
// # Node client
//
// Start spawns node on driver.js, which builds a HubConnection exactly as an application
// would (negotiate, the one transport asked for, JSON or MessagePack, optional stateful and
// automatic reconnect) and reports everything the client observes as one JSON line each:
// invocations of listened targets, close (with the client's error text), reconnecting and
// reconnected. Tests read those with Client.Next and Client.WaitFor, and act through
// Client.Send, Invoke, Stream, Stop, DropWebSocket and friends, each a JSON-line command
// answered by one reply. Every wait is bounded (Config.Timeout, 15 s by default), the process
// is stopped in t.Cleanup, and the client's log and the line transcript are printed when the
// test failed.
//
//	c := jsclient.Start(t, jsclient.Config{
//		URL:         srv.URL + "/client/?hub=chat",
//		Transport:   jsclient.LongPolling,
//		Protocol:    jsclient.MessagePack,
//		AccessToken: token,
//		Targets:     []string{"newMessage"},
//	})
//	ev, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
//
// In Node the official client does not use Node's own fetch or WebSocket: it loads node-fetch
// (with a cookie jar), ws and eventsource, its own dependencies, so Node 18 or later works and
// nothing needs polyfilling. Over WebSockets, Node sends the token in an Authorization header
// on the upgrade; browsers put it in the access_token query parameter instead — servers must
// accept both, which is why browser tests exist next to the Node ones.
//
// Combinations lists the transport × protocol pairs the client supports, for table-driven
// tests. Binary carries byte strings across the JSON boundary ({"$binary": base64}).
//
// # Browser
//
// StartBrowser launches Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) through
// playwright-core with ChromiumArgs and drives one page: Goto, Eval, Click, Fill,
// WaitForSelector, WaitForText, Content, Screenshot; console output and page errors arrive as
// BrowserEvents. When the
// test fails, a screenshot is saved and its path logged. Assets serves the client's browser
// bundles so a test page can load them.
package jsclient
