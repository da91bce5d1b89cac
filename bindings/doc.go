// Package bindings implements the Azure Functions custom-handler protocol for Go, with typed
// SignalR bindings and function.json generated from Go declarations.
//
// # The protocol
//
// The Functions host POSTs each invocation to http://127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT/<function>
// as JSON {"Data":{…},"Metadata":{…}} (InvokeRequest) and reads back {"Outputs":{…},"Logs":[…],
// "ReturnValue":…} (InvokeResponse). The wire has traps this package absorbs:
//
//   - Strings, numbers, bools and arrays arrive JSON-encoded a second time ("\"hi\"", "4");
//     byte[] arrives as base64. InvokeRequest.Decode undoes the right number of layers for the
//     target type; HTTPRequest, ConnectionInfo (encoded three times), Negotiation, Endpoints
//     and Sys are typed accessors. The properties of a JSON request body reach Metadata as .NET
//     strings ("\"True\"", "\"2\"", dates as "\"01/02/2024 03:04:05\""), which
//     DecodeMetadata reads back into bools, numbers and times.
//   - The response must be 200 with Content-Type application/json, or the host fails the
//     invocation. App always writes it that way.
//   - The host base64-decodes string outputs and $return values (HTTP included) that happen to
//     be valid base64. SignalR outputs are written as arrays of objects, Output refuses bare
//     base64-able strings and App refuses them as a return value.
//   - The SignalR extension drops a removeAll group action addressed to a connection without a
//     word; InvokeResponse.SignalR refuses it.
//   - HTTP outputs need a numeric statusCode, string header values and an explicit
//     Content-Type; InvokeResponse.HTTP writes exactly that.
//
// # The App
//
// An App declares functions in Go (HTTP, Negotiate, SignalRTrigger, SignalRMessage with typed
// arguments, or Func with any bindings),
// serves them to the host (ServeHTTP, ListenAndServe) and writes the matching host.json and
// function.json files (WriteFunctionJSON, checked by CheckFunctionJSON), so declarations and
// code cannot drift apart. App.Main makes one binary both the custom handler and the generator
// of its configuration ("functionjson [-check] DIR").
//
// Handlers receive an *Invocation: HTTPRequest, ConnectionInfo, Negotiation, Endpoints and
// InvocationContext (with Bind) read the inputs, Respond, Send, Log and Return write the
// outputs, each resolved by the function's declared binding names. InvokeRequest and
// InvokeResponse stay available for functions with several bindings of one type.
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
//
// For tests and local development, package bindingstest plays the Functions host.
package bindings
