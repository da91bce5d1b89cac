// Package admin serves the Functions host's admin endpoint for running a function by hand,
// for the local runner: POST /admin/functions/<name> with the body {"input":"…"} runs any
// non-HTTP function with that input as its trigger value and answers 202 Accepted, as
// func start does (learn.microsoft.com: "Manually run a non HTTP-triggered function").
//
// The Handler is an http.Handler parameterised by a Lookup (which functions exist, which are
// HTTP-triggered) and an Invoke callback. Like the host it answers before the run, so a run's
// failure, including a request for an HTTP-triggered function, which the host also accepts
// and then fails, goes to Options.OnError for the log. Bodies are bounded, and so is the
// number of runs in flight. Locally, as under func start, no key is needed.
package admin
