// Package bindingstest is a fake Azure Functions host for custom handlers, for tests and local
// development.
//
// A Host serves the app's HTTP functions under the route prefix (/api by default) and SignalR
// upstream calls at /runtime/webhooks/signalr, and invokes the handler exactly as the Functions
// host does: POST /<function> with {"Data":…,"Metadata":…} written the way Newtonsoft writes it,
// strings and numbers serialized twice, signalRConnectionInfo inputs encoded three times,
// signalRNegotiation inputs as objects and signalREndpoints inputs as JSON text in a string, the
// invocation headers (X-Azure-Functions-InvocationId, X-Azure-Functions-HostVersion,
// User-Agent). signalRConnectionInfo inputs are minted with package negotiate (binding
// expressions such as {headers.x-ms-client-principal-id} resolved, failing when the header is
// missing as the host does), signalR outputs are parsed like the extension and sent with
// signalr.HubClient.Apply, and upstream calls are verified with package trigger and answered
// with Completion messages built from the handler's ReturnValue.
//
// It is never more lenient than the real host: a handler answering with a non-2xx status, a
// Content-Type other than application/json, a body that is not a JSON object, an http output
// that is not an object, a signalR item that is not an object or a string output that looks
// like base64 fails the invocation here as it would in Azure.
//
//	srv := signalrtest.NewServer(nil) // or a real connection string
//	host, err := bindingstest.NewHost(app, &bindingstest.Options{SignalRConnectionString: srv.ConnectionString()})
//	defer host.Close()
//	resp, err := http.Post(host.URL+"/api/messages", "application/json", body)
//
// Declarations come from the *bindings.App, or from host.json and function.json files on disk
// (Options.FunctionsDir), which also allows handlers written without package bindings.
// Output bindings other than http and signalR and input bindings other than
// signalRConnectionInfo, signalRNegotiation and signalREndpoints are not emulated: inputs fail
// the invocation, outputs are logged and dropped.
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
