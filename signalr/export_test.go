package signalr

import "time"

// SetHealthClock replaces the clock of c's health checks and reports each finished round, for
// tests outside the package. Call it before the checks start (Endpoints, routing).
func SetHealthClock(c *Client, after func(time.Duration) <-chan time.Time, roundDone func()) {
	c.after, c.roundDone = after, roundDone
}

// DefaultHealthCheckInterval is the interval of the health checks, for tests outside the
// package that replace the clock.
const DefaultHealthCheckInterval = defaultHealthCheckInterval
