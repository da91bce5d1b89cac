// A custom handler with a negotiate function and a broadcast function.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/signalr"
)

func main() {
	app, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	app.Main() // the custom handler; `functionjson DIR` writes host.json and function.json
}

func newApp() (*bindings.App, error) {
	app := bindings.NewApp(nil)
	anyone := &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}
	return app, errors.Join(
		// GET or POST /api/negotiate: the service URL and an access token for hub "chat".
		app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{HTTPOptions: *anyone}),
		// POST /api/broadcast with a text body: every client gets newMessage(text).
		app.HTTP("broadcast", anyone, broadcast, bindings.SignalROutput("signalRMessages", "chat", nil)),
	)
}

func broadcast(ctx context.Context, inv *bindings.Invocation) error {
	req, err := inv.HTTPRequest()
	if err != nil {
		return err
	}
	if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{string(req.Body)}}); err != nil {
		return err
	}
	return inv.Respond(http.StatusAccepted, nil, nil)
}
