// Package negotiate gives SignalR clients what they need to connect to Azure SignalR Service in
// serverless mode: the service URL and an access token for a hub, the ConnectionInfo a negotiate
// endpoint returns.
//
// A Negotiator mints tokens for the endpoints of a signalr.Client. With an access key it signs
// locally (HS256 over the key's UTF-8 bytes) and does no I/O; with a Microsoft Entra identity it
// signs with a temporary key fetched from the service, kept and refreshed in the background, and
// falls back to the service's :generateToken operation when no key can be had:
//
//	client, err := signalr.NewClientFromEnvironment("AzureSignalRConnectionString", nil)
//	n, err := negotiate.New(client, nil)
//	info, err := n.Negotiate(ctx, "chat", &negotiate.Options{UserID: "alice"})
//
// Handler serves <base>/negotiate, so the official JavaScript client, given withUrl("<base>"),
// follows the redirect to the service. It takes the user from App Service authentication headers
// (PrincipalFromRequest) unless told otherwise, answers CORS preflights for listed origins with
// credentials, and refuses a misconfiguration when it is built:
//
//	h, err := negotiate.Handler(n, "chat", &negotiate.HandlerOptions{
//		AllowedOrigins: []string{"https://app.example.com"},
//	})
//	http.Handle("/api/negotiate", h)
//
// # Whom to trust
//
// The user id in a token decides whose messages a connection receives, so it must come from
// something the caller cannot forge. App Service authentication (Easy Auth, also Static Web
// Apps and Azure Functions with authentication turned on) signs the user in, sets the
// x-ms-client-principal* and x-ms-token-aad-* headers, and removes any copy a client sent; behind
// it, PrincipalFromRequest and the default Handler are trustworthy. Anywhere else (a container,
// another cloud, local development, a Function App with authentication off, or a proxy in
// front that does not strip them) those headers are plain client input and anyone can claim to
// be anyone: there, set HandlerOptions.UserID to your own authentication (such as a verified
// JWT or a session cookie), and strip the x-ms-client-principal* headers at the edge.
//
// ClaimsFromIDToken follows the same rule: without IDTokenOptions.Keyfunc (verification) or
// IDTokenOptions.TrustedSource (App Service's x-ms-token-aad-id-token, HeaderAADIDToken), the
// claims the service would read the user id from (sub, nameid) are renamed asrs.u.<name>, so an
// unsigned token written by the caller cannot choose the user.
//
// Tokens follow the service's rules: the audience is <scheme>://<host>/client/?hub=<hub> built
// from Endpoint without its port, while the URL uses ClientEndpoint, or Endpoint with Port; hub
// names are lowercased and prefixed with the client's application name; the user id travels in
// asrs.s.uid; custom claims named like a reserved claim are sent as asrs.u.<name>; tokens longer
// than 4096 characters are refused. ClaimsFromIDToken reads claims from a JWT such as the
// caller's id token, the Functions binding's idToken and claimTypeList feature (see "Whom to
// trust" for which claims an unverified token may carry).
//
// # Several endpoints
//
// When the client spans several endpoints, Negotiate asks its signalr.Router
// (signalr.ClientOptions.Router) which endpoint the client connects to, among those its health
// checks find online; the default picks at random among the online primary endpoints, else the
// online secondary ones, else fails with signalr.ErrNoEndpointOnline (Handler answers 503). A
// Router can choose by the request (RequestFromContext), such as a region header. For clients
// that choose themselves, NegotiateAll returns a connection info per endpoint (the
// signalRNegotiation shape).
package negotiate
