package trigger

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/funcsignalr/funcsignalr/internal/redact"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// RouterOptions, ParseOptions and Router hold the service's access keys. Each prints a
// redacted text for every fmt verb (fmt.Formatter) and logs it through slog
// (slog.LogValuer), so logging a configuration never leaks a key.

func keysText(keys []string) string {
	switch len(keys) {
	case 0:
		return "none"
	case 1:
		return "1 REDACTED"
	}
	return strconv.Itoa(len(keys)) + " REDACTED"
}

// clientText names the client, whose String redacts its keys.
func clientText(c *signalr.Client) string {
	if c == nil {
		return "none"
	}
	return c.String()
}

// String shows the options with the access keys counted, not shown.
func (o RouterOptions) String() string {
	return fmt.Sprintf("trigger.RouterOptions{Client: %s, AccessKeys: %s, InsecureSkipSignature: %t, MaxBodySize: %d, Logger: %t}",
		clientText(o.Client), keysText(o.AccessKeys), o.InsecureSkipSignature, o.MaxBodySize, o.Logger != nil)
}

// Format prints String for every verb.
func (o RouterOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }

// LogValue logs String.
func (o RouterOptions) LogValue() slog.Value { return redact.Value(o.String()) }

// String shows the options with the access keys counted, not shown.
func (o ParseOptions) String() string {
	return fmt.Sprintf("trigger.ParseOptions{Client: %s, AccessKeys: %s, InsecureSkipSignature: %t, MaxBodySize: %d}",
		clientText(o.Client), keysText(o.AccessKeys), o.InsecureSkipSignature, o.MaxBodySize)
}

// Format prints String for every verb.
func (o ParseOptions) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }

// LogValue logs String.
func (o ParseOptions) LogValue() slog.Value { return redact.Value(o.String()) }

// String shows the Router's options, keys redacted, and how many handlers it has.
func (r *Router) String() string {
	if r == nil {
		return "trigger.Router(nil)"
	}
	r.mu.RLock()
	n := len(r.routes)
	r.mu.RUnlock()
	return fmt.Sprintf("trigger.Router{%d handlers, %s}", n, r.opts.String())
}

// Format prints String for every verb.
func (r *Router) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// LogValue logs String.
func (r *Router) LogValue() slog.Value { return redact.Value(r.String()) }
