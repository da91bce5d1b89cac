// Package bindingstest is a fake Azure Functions host for custom handlers, for tests. It is
// also what bindings.App.Main's start command runs on, and StartLocal runs an App exactly as
// that command does (`go run .`), in the test's process.
//
// A Host serves the app's HTTP functions under the route prefix (/api by default) and SignalR
// upstream calls at /runtime/webhooks/signalr, and invokes the handler as the Functions host
// does. The reference is the host's source (azure-functions-host, the HTTP extension in
// azure-webjobs-sdk-extensions, azure-webjobs-sdk and the SignalR extension in
// azure-sdk-for-net), as summarized in the project's custom-handler protocol notes; §8 of
// those notes is cited below.
//
//	srv := signalrtest.NewServer(nil) // or a real service with Options.SignalRConnectionString
//	host, err := bindingstest.NewHost(app, &bindingstest.Options{Emulator: srv})
//	defer host.Close()
//	resp, err := http.Post(host.URL+"/api/messages", "application/json", body)
//
// Options.Emulator uses the emulator's connection string and wires its upstream to the host's
// webhook, so clients' messages reach the SignalR triggers; an emulator given only as a
// connection string needs its upstream set by hand, or the triggers never fire.
//
// Declarations come from the *bindings.App, or from host.json and function.json files on disk
// (Options.FunctionsDir), which also allows handlers written without package bindings. An
// App in the same process reads its app settings (for a negotiate function with
// bindings.NegotiateOptions.Mint) from the host: Options.Settings and SetSetting, with
// SignalRConnectionString standing in for the connection setting, over the environment, as a
// custom handler reads the settings the real host puts in its environment.
//
// # Byte-exact payloads
//
// The invocation is POST /<function>, chunked without Content-Length (§8.1), with the host's
// headers, and a body {"Data":…,"Metadata":…} written the way Newtonsoft writes it: strings,
// numbers, bools and arrays serialized twice, the properties of a JSON request body turned
// into .NET strings first ("True", "2", dates as "01/02/2024 03:04:05"; §8.2), the query
// last-value-wins in Metadata and comma-joined in Data, Params always present with null for
// optional values left out, Identities the empty anonymous identity or, with Options.FunctionKeys,
// the WebJobsAuthLevel identity of the key (§8.1), signalRConnectionInfo encoded three times,
// signalRNegotiation as an object and signalREndpoints as JSON text in a string. A signalRTrigger
// receives the extension's InvocationContext: headers as the caller wrote their names, content
// headers left out, X-ASRS-Signature and Authorization kept, Query and Claims null without their
// headers, UserId "" for an empty header, and null arguments left out of Metadata (§8.5).
// Binding expressions resolve as the host resolves them: {query.x} by exact name, {headers.x}
// ignoring case, a missing name failing the invocation with the host's message (§8.2).
//
// # Never more lenient
//
// What the real host refuses fails here too, with a log line saying why: a handler answering
// with a non-2xx status, a Content-Type other than application/json or text/json, a body that
// is not a JSON object, Outputs that are not an object, a Logs entry that is an object or an
// array, "res": null, an http output that is not an object, a null or multi-line header value
// (arrays and objects), a signalR item that is not an object or is neither a message (target)
// nor a group action (action), a string output or $return that looks like base64 (which the host
// turns into bytes). A failed HTTP invocation answers the caller with a bare 500, without the
// handler's or the service's error text; an invoke() caller gets the extension's Completion
// error. Responses are built as the host builds them (§8.3): no Outputs is an empty 200, a
// missing named output the body {}, a $return object without a body member the whole object
// indented as text, duplicate headers dropped, text bodies with charset=utf-8 set in their
// Content-Type.
// Upstream calls are answered status for status (§8.5), with send() always 200 and the
// Completion of an invoke() without a Content-Type. host.json's legacy httpWorker section
// forwards HTTP-only functions to /<function>, forwarding rebuilds the query and appends the
// host's User-Agent, and proxying, which wins over forwarding, passes the request through
// (§8.6). A removeAll group action with a connectionId is skipped silently, as the extension
// does (§8.4).
//
// # Still inferred
//
// These follow the source read across several code paths but were not checked against a live
// host, in the sense of the notes' [inferred] marks:
//
//   - the order of header names in Headers (sorted here; Kestrel lists the headers it knows in a
//     fixed order first), the .NET spelling of known header names, and the re-formatting .NET
//     applies to the values of headers it parses (Accept-Encoding, User-Agent) in a SignalR
//     trigger's Headers (§8.5);
//   - the JSON of a key-authenticated identity: only the key identity, its claims without
//     Subject (a reference loop Newtonsoft skips) (§8.1);
//   - the culture of DateTime.ToString for date strings in response bodies and headers, taken as
//     invariant, and of dates in request bodies, as on Azure's UTC machines (§8.1, §8.2);
//   - a multi-line header value failing the response, a status outside 100-999 failing it, and
//     the Completion error text for a failed signalR output, which here names the status code
//     only (§8.3, §8.5);
//   - the empty-body answer, which here fails at once where the host waits for the function
//     timeout (§8.3);
//   - the charset: text bodies go through ASP.NET Core's StringOutputFormatter, whose
//     TextOutputFormatter sets charset=utf-8 on the Content-Type (read in ASP.NET Core's source,
//     not in the notes; the caller's Accept-Charset is not considered) (§8.3);
//   - the proxying mode's Host header (the destination's, not the caller's) and the absence of
//     X-Forwarded-* headers (§8.6).
//
// Output bindings other than http and signalR and input bindings other than
// signalRConnectionInfo, signalRNegotiation and signalREndpoints are not emulated: inputs fail
// the invocation, outputs are logged and dropped. Values the host would parse as dates inside
// signalR outputs and ReturnValues pass through unchanged.
//
// # Several endpoints
//
// When settings (Options.Settings or the environment) hold Azure__SignalR__Endpoints__<name>
// entries, the bindings reach every endpoint, the binding's own connection setting joining them
// as the unnamed primary (as signalr.NewClientFromEnvironment reads them): signalR outputs fan
// out (narrowed by each item's endpoints), signalRConnectionInfo goes to the endpoint
// Options.Router picks (the default routing of signalr.ClientOptions.Router when nil; it sees
// the caller's request), signalRNegotiation carries a connection info per endpoint and
// signalREndpoints lists them with their health, which the host checks until Close.
package bindingstest
