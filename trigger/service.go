package trigger

import (
	"context"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// Reply sends target(args…) to the connection that raised inv, through the
// service's REST API, on every endpoint of client (the one holding the
// connection delivers it). It is how a handler answers a send(), which has
// no return path, or pushes more than one message to an invoke() caller.
func (inv *Invocation) Reply(ctx context.Context, client *signalr.Client, target string, args ...any) error {
	hub, err := client.Hub(inv.Hub)
	if err != nil {
		return err
	}
	_, err = hub.SendToConnection(ctx, inv.ConnectionID, signalr.Message{Target: target, Arguments: args}, nil)
	return err
}
