// Package signalrtest is an in-process Azure SignalR Service for tests and
// local development, in the style of net/http/httptest.
//
// A Server speaks the service's data-plane REST API (every operation of api
// versions 2022-06-01 to 2024-12-01 plus the legacy /api/v1 routes, with the
// service's status codes and x-ms-error-code values), serves clients the way
// the service does (negotiate v0 and v1, WebSockets, Server-Sent Events and
// long polling, the JSON and MessagePack hub protocols, keep-alive pings,
// Close messages and stateful reconnect), and forwards what clients send to
// upstream webhooks with the service's headers and signatures.
//
//	srv := signalrtest.NewServer(&signalrtest.Options{
//		Upstream: []signalrtest.UpstreamTemplate{{UrlTemplate: app.URL + "/runtime/webhooks/signalr"}},
//	})
//	defer srv.Close()
//	client, err := signalr.NewClientFromConnectionString(srv.ConnectionString(), nil)
//
// It follows Microsoft's emulator (the default access key, the settings.json
// upstream format, first-match upstream rules) but fixes its known gaps: token
// lifetimes and audiences are checked, a secondary key is accepted and signs
// upstream requests too, `excluded` is honoured everywhere, user-group TTLs
// remove the memberships they granted, sends take any number of arguments,
// and :generateToken, :execute (with OData connection filters), :invoke,
// connection streams, paged group listings, /api/v1/auth/accessKey and
// application/octet-stream multi-protocol bodies are implemented.
//
// Where Microsoft's emulator and the service differ, it behaves like the
// service: upstream signatures are lowercase hex joined by ", "; the upstream
// URL's {hub}, {category} and {event} are escaped as Uri.EscapeDataString
// escapes; a token's aud must name the request's scheme and host (the port and
// query are ignored) and, for clients, the hub; tokens that set asrs.s.coae
// close their connections, with a Close allowing reconnect, about a second
// after asrs.s.aeo passes; ttl and minutesToExpire are int32; names are
// counted in UTF-16 code units; and the request path is decoded and then
// cleared of dot segments as Kestrel does, so POST
// /api/hubs/chat/users/%2E%2E/:send is a broadcast. Ids must therefore never
// be sent as a path segment that decodes to "." or "..".
//
// One deviation is deliberate. The service sends upstream, in
// X-ASRS-Client-Query, the query string of the client's connect request
// including its access_token (service-protocol.md §8); this server strips
// access_token from it, so that tests and local runs do not copy bearer
// tokens into function logs. Code that reads the header must still treat it
// as secret-bearing, as it is in production, and never log it. The server
// itself never logs it, nor any token or key.
//
// Resources are bounded as a service's are: the REST and upstream call logs
// keep at most 16 MiB (and 10,000 calls) each, newest first; a connection
// whose invocations waiting for a slow upstream pass 32 MiB is closed with a
// Close saying so; a message from a client may be 16 MiB; :execute filters
// nest at most 100 levels. A connection answers only requests whose token
// names the user who negotiated it, since with negotiate v0 its id, which is
// no secret, is also its token.
//
// Where Azure leaves a client waiting forever (an invoke() no upstream rule
// matches, or a stream() in serverless mode), the server answers with an error
// Completion instead; set Options.StrictAzure to drop them exactly like Azure.
//
// The inspection methods (Hubs, Connections, GroupMembers, UserGroups,
// RESTCalls, UpstreamCalls) let tests assert on the service's state.
//
// An idle WebSocket connection costs one goroutine (its reader) and about
// 15 KiB; writers exist only while output is queued, and one timer per
// connection drives keep-alive pings and timeouts.
//
// # Routes
//
//	POST /client/negotiate?hub=…                  negotiate (v0, v1, useStatefulReconnect)
//	GET|POST|DELETE /client/?hub=…&id=…           WebSockets, Server-Sent Events, long polling
//	/api/hubs/{hub}/…, /api/v1/hubs/{hub}/…       REST API (any api-version, optional application)
//	GET|HEAD /api/health, /api/v1/health          health, no token needed
//	GET /api/v1/auth/accessKey, /api/auth/accessKey temporary access keys (Entra callers)
//	GET /trace/                                   live trace page (Options.DisableTrace turns it off)
//	GET /trace/events?hub=&user=&connection=&group=&kind=  the trace as Server-Sent Events
//	GET /trace/state                              hubs, connections, groups and users as JSON
//
// # Live trace
//
// The trace shows what the server sees while you develop: open /trace/ in a browser. Each
// event on /trace/events is one JSON object with seq, time, kind and hub, and the ids it
// concerns (connectionId, userId, group). Kinds are connected, disconnected (with the close
// reason), rest (method, path, status, durationMs, and reached: how many connections a send
// reached), message (one per connection a REST send queued a message for, up to 50 per
// send), invoke (a client's invocation), upstream (event, URL, status, durationMs, and the
// Completion the client got, or why no upstream rule matched), result (a client's answer to
// :invoke) and rejected (a refused token, with the reason). The last 1024 events are replayed
// to each new subscriber (after Last-Event-ID when it reconnects); a subscriber that falls 256
// events behind is dropped, so a stalled reader never slows the server. Keys and tokens never
// appear, access_token is removed from queries and function keys from upstream URLs. The
// trace answers only requests addressed to an IP address or localhost, and sends no CORS
// headers.
//
// The package imports no test framework, so it can be used from programs such
// as a standalone emulator as well as from tests.
package signalrtest
