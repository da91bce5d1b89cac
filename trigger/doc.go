// Package trigger handles the upstream requests Azure SignalR Service sends
// to an application in serverless mode: a client connected, disconnected,
// or called a hub method with send() or invoke().
//
// Parse decodes and authenticates one request into an Invocation. Router is
// an http.Handler that does the same and dispatches to typed handlers
// registered per hub and event, the Go counterpart of the Functions
// extension's class-based ServerlessHub, answering exactly as the extension
// does, including the Completion message an invoke() caller waits for.
//
//	r := trigger.NewRouter(trigger.RouterOptions{AccessKeys: []string{key}})
//	r.OnConnected("chat", func(ctx context.Context, inv *trigger.Invocation) error { return nil })
//	r.OnMessage("chat", "echo", func(ctx context.Context, inv *trigger.Invocation, text string) (string, error) {
//		return text, nil
//	})
//	http.Handle("/runtime/webhooks/signalr", r)
//
// # Signature
//
// Each request carries X-ASRS-Signature: one "sha256=<hex>" entry per
// access key of the service (primary and secondary), each the HMAC-SHA256 of
// the connection id. A request is accepted when any entry matches any
// configured key. Verification is on by default, even when the application
// talks to the service with Microsoft Entra ID; turning it off takes
// InsecureSkipSignature.
//
// # Functions host
//
// Under the Azure Functions host the extension does this work and the custom
// handler receives an InvocationContext as JSON; it has the same PascalCase
// names and can be decoded with encoding/json.
package trigger
