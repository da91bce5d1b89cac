// Package trigger handles the upstream requests Azure SignalR Service sends
// to an application in serverless mode: a client connected, disconnected,
// or called a hub method with send() or invoke().
//
// Router is an http.Handler for the upstream URL, the Go counterpart of the
// Functions extension's class-based ServerlessHub. It authenticates each
// request, dispatches it to the typed handler registered for its hub and
// event, and answers exactly as the extension does, including the Completion
// message an invoke() caller waits for:
//
//	r, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{Client: client}})
//	err = r.OnConnected("chat", func(ctx context.Context, inv *trigger.Invocation) error { return nil })
//	err = r.OnMessage("chat", "echo", func(ctx context.Context, inv *trigger.Invocation, text string) (string, error) {
//		return text, nil
//	})
//	http.Handle("/runtime/webhooks/signalr", r)
//
// Handler signatures are checked once, at registration, which returns an
// error for a bad signature or a duplicate; arguments are decoded from JSON
// or MessagePack alike with encoding/json rules. Use adds middleware
// (logging, authorization filters); FromContext returns the Invocation being
// served; Invocation.Reply sends back to the caller through the REST API,
// the way to answer a send().
//
// Parse is the lower-level entry point: it decodes and authenticates one
// request into an Invocation, and Invocation.WriteResponse answers it as
// Router would. Its errors wrap ErrNotSignalRRequest, ErrInvalidSignature,
// ErrUnsupportedContentType, ErrTooLarge or ErrMalformedBody.
//
// # Signature
//
// Each request carries X-ASRS-Signature: one "sha256=<hex>" entry per
// access key of the service (primary and secondary), each the HMAC-SHA256 of
// the connection id, lowercase and separated by ", " as the service sends
// them (Microsoft's local emulator writes uppercase, separated by ","). A
// request is accepted when any entry matches any configured key; entries are
// compared without case, trimmed of spaces, in constant time.
//
// The signature covers the connection id and nothing else: not the body,
// the event, the user id, the claims or the client query. It shows that
// whoever sent the request knew a signature for that connection id, which
// the service computes with its key; it does not show that the rest of the
// request came from the service. Anyone who has seen one signed request for
// a connection (a log line, a proxy, a plain-http upstream URL) can send any
// body, event, user id or claims for that connection id until the service's
// access keys are rotated. So keep the upstream URL on https and its headers out of logs
// (Parse drops X-ASRS-Signature from InvocationContext.Headers), and do not
// treat X-ASRS-User-Id or the claims as proof of identity beyond that: for
// decisions that matter, check the user on the REST side or in your own
// session state. Verification is on by default, also when the application
// reaches the service with Microsoft Entra ID (where the C# extension turns
// it off silently); turning it off takes InsecureSkipSignature. The keys
// are those of ParseOptions.Client, every endpoint's that has one, plus
// AccessKeys; identity-based endpoints bring no key, so NewRouter refuses to
// build a Router that could verify nothing: give the service's keys in
// AccessKeys, or set InsecureSkipSignature explicitly for a webhook
// authenticated otherwise.
//
// # Functions host
//
// Under the Azure Functions host the extension does this work and a custom
// handler receives an InvocationContext as JSON, with the same PascalCase
// names; decode it with encoding/json and run it through the same handlers
// with Router.Dispatch.
package trigger
