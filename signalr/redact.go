package signalr

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// Every type here holds or reaches a secret (an access key, a client secret, a token). Each
// prints a redacted text for every fmt verb (fmt.Formatter) and logs it through slog
// (slog.LogValuer): a String method alone would leave %d, %#v and slog's JSON handler to print
// the fields. Types holding a lock (AccessKeyCredential, Client) are only ever used by pointer,
// so their methods have pointer receivers; the others have value receivers and redact by value
// and by pointer alike.

// Format prints the redacted connection string for every verb.
func (cs ConnectionString) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		redact.Format(f, verb, "signalr.ConnectionString("+cs.String()+")")
		return
	}
	redact.Format(f, verb, cs.String())
}

// LogValue logs the redacted connection string.
func (cs ConnectionString) LogValue() slog.Value { return redact.Value(cs.String()) }

// Format prints the credential redacted for every verb.
func (c *AccessKeyCredential) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue logs the credential redacted.
func (c *AccessKeyCredential) LogValue() slog.Value { return redact.Value(c.String()) }

// Format prints the key id with the key redacted, for every verb.
func (k temporaryAccessKey) Format(f fmt.State, verb rune) { redact.Format(f, verb, k.String()) }

// LogValue logs the key id with the key redacted.
func (k temporaryAccessKey) LogValue() slog.Value { return redact.Value(k.String()) }

// Format prints the response with the token redacted, for every verb.
func (r GenerateClientTokenResponse) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, r.String())
}

// LogValue logs the response with the token redacted.
func (r GenerateClientTokenResponse) LogValue() slog.Value { return redact.Value(r.String()) }

// String names the client's endpoints with their server URLs and how they authenticate, never
// a key or credential.
func (c *Client) String() string {
	if c == nil {
		return "signalr.Client(nil)"
	}
	parts := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		parts[i] = e.String(len(c.endpoints) > 1)
	}
	return "signalr.Client(" + strings.Join(parts, "; ") + ")"
}

// String describes one endpoint: its name and type when the client has several, its server URL,
// how it authenticates and its application name.
func (e *endpoint) String(named bool) string {
	var b strings.Builder
	if named {
		fmt.Fprintf(&b, "%q %s ", e.name, e.typ)
	}
	b.WriteString(e.conn.serverURL)
	if e.conn.accessKey != nil {
		b.WriteString(", access key")
	} else {
		b.WriteString(", Microsoft Entra ID")
	}
	if e.conn.application != "" {
		b.WriteString(", application " + e.conn.application)
	}
	return b.String()
}

// Format prints String for every verb.
func (c *Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue logs String.
func (c *Client) LogValue() slog.Value { return redact.Value(c.String()) }

// String names the hub and the endpoints it reaches.
func (h HubClient) String() string {
	var names []string
	switch {
	case h.only != nil:
		for _, r := range h.only {
			names = append(names, fmt.Sprintf("%q", refName(r)))
		}
	case h.client != nil && len(h.client.endpoints) == 1:
		names = append(names, h.client.endpoints[0].conn.serverURL)
	case h.client != nil:
		for _, e := range h.client.endpoints {
			names = append(names, fmt.Sprintf("%q", e.name))
		}
	}
	return "signalr.HubClient(" + h.hub + " @ " + strings.Join(names, ", ") + ")"
}

// Format prints String for every verb.
func (h HubClient) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// LogValue logs String.
func (h HubClient) LogValue() slog.Value { return redact.Value(h.String()) }

// String names the endpoint, its type and URL.
func (e Endpoint) String() string {
	url := ""
	if e.Client != nil && len(e.Client.endpoints) > 0 {
		url = e.Client.endpoints[0].conn.url
	}
	typ := e.Type
	if typ == "" {
		typ = EndpointTypePrimary
	}
	return fmt.Sprintf("signalr.Endpoint(%q, %s, %s)", e.Name, typ, url)
}

// Format prints String for every verb.
func (e Endpoint) Format(f fmt.State, verb rune) { redact.Format(f, verb, e.String()) }

// LogValue logs String.
func (e Endpoint) LogValue() slog.Value { return redact.Value(e.String()) }
