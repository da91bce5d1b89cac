package trigger

import (
	"context"
	"errors"
	"slices"

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

// NewRouterForEndpoints returns a Router that verifies upstream signatures with the access keys
// of opts.AccessKeys plus those of every endpoint's client that has one. It refuses to build a
// Router with no key at all unless opts.InsecureSkipSignature is set.
//
// Why: with identity-based (Microsoft Entra ID) connections the application holds no access
// key, yet the service still signs every upstream request with its own keys. The C# extension
// then switches verification off without a word, leaving the webhook open to anyone who can
// reach it. Here verification stays on whenever a key is known (configure the service's keys in
// AccessKeys, for example from Key Vault), and turning it off is an explicit, visible choice for
// an endpoint that something else authenticates (a private network, an API gateway, the
// Functions host's system key).
func NewRouterForEndpoints(opts RouterOptions, endpoints ...signalr.Endpoint) (*Router, error) {
	keys := slices.Clone(opts.AccessKeys)
	for _, e := range endpoints {
		if e.Client == nil || e.Client.AccessKey() == nil {
			continue
		}
		if k := e.Client.AccessKey().Key(); k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 && !opts.InsecureSkipSignature {
		return nil, errors.New("trigger: no access key to verify upstream signatures with: the endpoints use Microsoft Entra ID and RouterOptions.AccessKeys is empty; " +
			"set AccessKeys to the service's keys, or InsecureSkipSignature if something else authenticates the webhook")
	}
	opts.AccessKeys = keys
	return NewRouter(opts), nil
}
