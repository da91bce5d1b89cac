// Package manifest is the model of a function app's declarations: host.json and the
// function.json files, as the bindings package generates them from Go and as the fake host
// reads them from disk. It validates declarations the way the Functions host and the SignalR
// extension would, matches HTTP routes, and reads and writes the files.
//
// Errors carry the "bindings:" prefix: they reach users through package bindings.
package manifest
