// Package bindings implements the Azure Functions custom-handler protocol for Go, with typed
// SignalR bindings and function.json generated from Go declarations.
//
// # The App
//
// An App declares functions in Go and is the program's whole main:
//
//	app := bindings.NewApp(nil)
//	app.Negotiate("negotiate", "chat", nil)
//	app.HTTP("broadcast", nil, broadcast, bindings.SignalROutput("signalRMessages", "chat", nil))
//	app.SignalRMessage("echo", "chat", "echo", nil, func(ctx context.Context, inv *bindings.Invocation, text string) (string, error) { … })
//	app.Main()
//
// Negotiate answers SignalR clients' negotiation with the connection info the host mints, or,
// with NegotiateOptions.Mint, with one the App mints for the user App Service authentication
// signed in when there is one and for nobody otherwise.
//
// HTTP, Negotiate, SignalRTrigger and SignalRMessage declare the common shapes; Func takes any
// bindings (HTTPTrigger, SignalRConnectionInfo, SignalROutput, GenericBinding for other
// extensions…). Registration reports what the host would reject as an error. SignalRMessage
// takes typed handlers, compiled by the same code as trigger.Router.OnMessage, and Use adds
// middleware around every function, as trigger.Router.Use does: an authorization filter is
// one call.
//
// Main serves the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT) and, with the command
// `functionjson [-check] DIR`, writes or checks host.json and the function.json files, so
// declarations and configuration cannot drift apart; CheckFunctionJSON does the check in a
// test. ServeHTTP lets tests and other servers embed the App; package bindingstest plays the
// Functions host in front of it.
//
// Handlers receive an *Invocation. HTTPRequest, ConnectionInfo, Negotiation, Endpoints and
// InvocationContext (with Bind) read the inputs; Respond, Send, Log and Return write the
// outputs, each through the function's only binding of its type. Input, Metadata and Output
// reach any binding by name.
//
// # The protocol
//
// The Functions host POSTs each invocation to the handler as JSON {"Data":{…},"Metadata":{…}}
// and reads back {"Outputs":{…},"Logs":[…],"ReturnValue":…}. The wire has traps this package
// absorbs:
//
//   - Strings, numbers, bools and arrays arrive JSON-encoded a second time ("\"hi\"", "4");
//     byte[] arrives as base64; signalRConnectionInfo is encoded three times. Input undoes the
//     right number of layers for the target type, and the typed accessors know their
//     bindings. The properties of a JSON request body reach the trigger's metadata as .NET
//     strings ("\"True\"", "\"2\"", dates as "\"01/02/2024 03:04:05\""), which Metadata reads
//     back into bools, numbers and times.
//   - The response must be 200 with Content-Type application/json, or the host fails the
//     invocation. The App always writes it that way.
//   - The host base64-decodes string outputs and $return values (HTTP included) that happen to
//     be valid base64. SignalR outputs are written as arrays of objects, Output refuses bare
//     base64-able strings and the App refuses them as a return value.
//   - The SignalR extension drops a removeAll group action addressed to a connection without a
//     word; Send refuses it.
//   - HTTP outputs need a numeric statusCode, string header values and an explicit
//     Content-Type; Respond writes exactly that.
//
// # Several service endpoints
//
// When the app settings name several Azure SignalR Service instances
// (Azure__SignalR__Endpoints__<name>[__primary|__secondary], as signalr.NewClientFromEnvironment
// reads them), the extension routes signalRConnectionInfo to one of them and fans signalR outputs
// out to all, narrowed by each item's Endpoints. Two inputs let a function see them: SignalRNegotiation
// declares signalRNegotiation, a connection info per endpoint so the function chooses
// (Invocation.Negotiation), and SignalREndpoints declares signalREndpoints, the endpoints with
// their health (Invocation.Endpoints). The extension hands the host a JSON object for the
// first and an array, which the host serializes into a string, for the second; both
// accessors also accept the other encodings the host uses for inputs.
package bindings
