// Package webclient holds the official SignalR JavaScript client's browser bundle, which
// App.Page serves next to a page so it works without a CDN or a network.
package webclient

import _ "embed"

// Version is the @microsoft/signalr version of Bundle; it matches the version the test
// harness (internal/jsclient) installs from npm.
const Version = "10.0.11"

// FileName is the name pages load the bundle by.
const FileName = "signalr.min.js"

// Bundle is dist/browser/signalr.min.js of @microsoft/signalr Version (MIT License, Copyright
// (c) .NET Foundation and Contributors), with a first line saying so.
//
//go:embed signalr.min.js
var Bundle string
