package signalr

import "time"

// SetHealthClock replaces the clock of c's health checks and reports each finished round, for
// tests outside the package. Call it before StartHealthChecks.
func SetHealthClock(c *MultiEndpointClient, after func(time.Duration) <-chan time.Time, roundDone func()) {
	c.after, c.roundDone = after, roundDone
}
