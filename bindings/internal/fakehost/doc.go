// Package fakehost is the implementation of the fake Azure Functions host that package
// bindingstest exposes: it sends a custom handler the payloads the host sends, resolves and
// applies SignalR bindings against a service, serves the SignalR upstream webhook, and refuses
// what the real host refuses. The behaviour and its sources are documented on package
// bindingstest.
//
// It imports no package that imports it back (not bindings), so the bindings package itself can
// run an app locally behind it.
package fakehost
