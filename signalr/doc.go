// Package signalr is a client for the data-plane REST API of Azure SignalR Service in serverless
// mode: sending messages to every connection, a user, a group or one connection, managing group
// membership, checking and closing connections, and minting client tokens, over one service
// endpoint or several.
//
// # Clients
//
// A Client talks to one or more service endpoints. Build it from the app settings the Functions
// host reads, including identity-based ones and several endpoints,
//
//	client, err := signalr.NewClientFromEnvironment("AzureSignalRConnectionString", nil)
//
// from a connection string (NewClientFromConnectionString), with an access key
// (NewClientWithAccessKey), with a Microsoft Entra ID credential (NewClient), or from named
// Endpoints (NewClientWithEndpoints). Client.Hub returns a cheap HubClient for one hub, or an
// error for an invalid hub name:
//
//	hub, err := client.Hub("chat")
//	_, err = hub.SendToAll(ctx, signalr.Message{Target: "newMessage", Arguments: []any{"hi"}}, nil)
//
// Each endpoint has its azcore pipeline, so retries, logging, telemetry and
// ClientOptions.APIVersion apply to every call.
//
// # Several endpoints
//
// Several endpoints (regions, capacity, failover) are the ordinary case of a Client, reached
// over REST, which the C# extension only does with persistent server connections. The app
// settings are those of the extension: the connection setting is the unnamed primary endpoint
// and Azure__SignalR__Endpoints__<name>[__primary|__secondary] (or the identity-based keys under
// that name) add named ones.
//
// Sends and group changes go to every endpoint concurrently, or only to those a Message or
// GroupAction names in Endpoints or HubClient.WithEndpoints selects; each response lists the
// outcome per endpoint in its Endpoints field. A failure on any endpoint fails the call with an
// error naming it (*EndpointError), never a silent partial success. Existence checks answer true
// when any endpoint does. A connection lives on one endpoint, so AddConnectionToGroup and
// InvokeConnection succeed when the endpoint holding it does.
//
// Negotiation (package negotiate) routes each client to one endpoint through
// ClientOptions.Router: by default at random among the online primary endpoints, else the
// online secondary ones. Online comes from health checks (HEAD /api/health every two minutes,
// two-second timeout, two retries; see HealthCheckOptions) that start the first time routing or
// Client.Endpoints needs them and stop at Client.Close. A lone endpoint is never checked and
// never marked offline. Client.Health checks every endpoint on demand.
//
// # Authentication
//
// With an access key every request carries an HS256 token signed with the key's UTF-8 bytes whose
// audience is the request URL without query; tokens are cached per URL until shortly before they
// expire; a long group name makes them longer than 4096 characters, the service's limit for
// client tokens, which does not apply to them. AccessKeyCredential.Update rotates the key. With
// Microsoft Entra ID the pipeline adds a bearer token for the scope
// https://signalr.azure.com/.default. Keys, tokens and client secrets never appear in errors or
// String output.
//
// # Errors and retries
//
// A failed operation returns an *azcore.ResponseError whose ErrorCode is the service's
// x-ms-error-code; with several endpoints errors.As finds it through the *EndpointError. Bad
// arguments (an empty id, an invalid group name) are reported before any I/O; a group name may
// have 1 to 1024 characters counted as the service counts them, in UTF-16 code units (an emoji
// counts twice). So is a user id, group name or connection id that is, or has a '/'- or
// '\'-separated part that is, "." or "..": ids travel as path segments, and servers and proxies
// resolve dot segments even when percent-encoded (Kestrel decodes, then normalizes), so
// SendToUser("..") would reach POST /api/hubs/{hub}/:send, a broadcast. No id can ever change
// which resource a request addresses. The existence checks turn the service's "not found"
// answers into false and a 404 without an error code into an error saying that the endpoint or
// hub looks wrong.
//
// Retries follow the azcore retry options, with one exception: a request that delivers a message
// (the sends and InvokeConnection) is not retried on a 500 or on a transport error after the
// request may have reached the service, because the service may already have delivered it. By
// default a send is retried on 408, 429, 502, 503 and 504, as the C# extension does. That is
// not exactly-once delivery: a 502 or 504 comes from a gateway in front of the service, which
// may have lost the answer to a message the service already delivered, and the retry then
// delivers it again. Where a duplicate matters, give messages an id the client can ignore a
// second time, or turn retries off for the call with
// policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1}).
//
// # Output binding values
//
// Message and GroupAction have the JSON shape of the Functions signalR output binding, and
// HubClient.Apply routes them as the binding does, so a custom handler can apply its output
// items directly.
package signalr
