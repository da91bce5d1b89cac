package trigger

import (
	"context"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// KeysFromConnectionString returns the access keys of the given connection
// strings (for example primary and secondary), for ParseOptions.AccessKeys
// or RouterOptions.AccessKeys. Identity-based connection strings have no
// key and add nothing: signature verification still needs a key or an
// explicit InsecureSkipSignature.
func KeysFromConnectionString(cs ...*signalr.ConnectionString) []string {
	var keys []string
	for _, c := range cs {
		if c != nil && c.AccessKey != "" {
			keys = append(keys, c.AccessKey)
		}
	}
	return keys
}

// Reply sends target(args…) to the connection that raised inv, through the
// service's REST API. It is how a handler answers a send(), which has no
// return path, or pushes more than one message to an invoke() caller.
func (inv *Invocation) Reply(ctx context.Context, client *signalr.Client, target string, args ...any) error {
	_, err := client.Hub(inv.Hub).SendToConnection(ctx, inv.ConnectionID, signalr.Message{Target: target, Arguments: args}, nil)
	return err
}
