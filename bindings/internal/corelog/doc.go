// Package corelog writes the invocation log lines Azure Functions Core Tools prints under
// func start, for the local runner:
//
//	[2024-10-07T21:08:50.040Z] Executing 'Functions.tick' (Reason='Timer fired at 2024-10-07T14:08:50.0203981-07:00', Id=9113238c-28cc-4e95-8e40-ca6ed1c49f18)
//	[2024-10-07T21:08:50.260Z] a line from the handler's Logs
//	[2024-10-07T21:08:50.263Z] Executed 'Functions.tick' (Succeeded, Id=9113238c-28cc-4e95-8e40-ca6ed1c49f18, Duration=242ms)
//
// A failed invocation ends with Failed and a line giving the failure. The reasons are the
// host's: ReasonHostCall for HTTP functions and runs through the admin endpoint, TimerReason
// for timer runs, ReasonNone for triggers whose extension gives none (signalRTrigger).
//
// A Logger writes to any io.Writer. Every message stays on its own line, bounded in length,
// with control characters escaped, so a handler's log text cannot forge a line of the log.
package corelog
