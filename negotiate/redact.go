package negotiate

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// The types here carry bearer tokens or reach signing keys. Each prints a redacted text for
// every fmt verb (fmt.Formatter) and logs it through slog (slog.LogValuer): their MarshalJSON
// writes the token for the wire, and slog's JSON handler would use it.

// Format prints String for every verb.
func (c ConnectionInfo) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue logs String.
func (c ConnectionInfo) LogValue() slog.Value { return redact.Value(c.String()) }

// String names the endpoint with its connection info, the token redacted.
func (e EndpointConnectionInfo) String() string {
	return fmt.Sprintf("negotiate.EndpointConnectionInfo{%q %s %s, %s}", e.Name, e.EndpointType, e.Endpoint, e.ConnectionInfo.String())
}

// Format prints String for every verb.
func (e EndpointConnectionInfo) Format(f fmt.State, verb rune) { redact.Format(f, verb, e.String()) }

// LogValue logs String.
func (e EndpointConnectionInfo) LogValue() slog.Value { return redact.Value(e.String()) }

// Format prints String for every verb.
func (n Negotiation) Format(f fmt.State, verb rune) { redact.Format(f, verb, n.String()) }

// LogValue logs String.
func (n Negotiation) LogValue() slog.Value { return redact.Value(n.String()) }

// String names the endpoints the Negotiator issues tokens for, never a key.
func (n *Negotiator) String() string {
	if n == nil {
		return "negotiate.Negotiator(nil)"
	}
	parts := make([]string, len(n.eps))
	for i, e := range n.eps {
		parts[i] = e.URL
		if e.Name != "" {
			parts[i] = fmt.Sprintf("%q %s", e.Name, e.URL)
		}
	}
	return "negotiate.Negotiator(" + strings.Join(parts, ", ") + ")"
}

// Format prints String for every verb.
func (n *Negotiator) Format(f fmt.State, verb rune) { redact.Format(f, verb, n.String()) }

// LogValue logs String.
func (n *Negotiator) LogValue() slog.Value { return redact.Value(n.String()) }
