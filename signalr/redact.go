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
// the fields. Types holding a lock (AccessKeyCredential, MultiEndpointClient) are only ever
// used by pointer, so their methods have pointer receivers; the others have value receivers
// and redact by value and by pointer alike.

// Format prints the redacted connection string for every verb.
func (cs ConnectionString) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		redact.Format(f, verb, cs.GoString())
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

// GoString redacts the key in %#v as well.
func (k TemporaryAccessKey) GoString() string { return k.String() }

// Format prints the key id with the key redacted, for every verb.
func (k TemporaryAccessKey) Format(f fmt.State, verb rune) { redact.Format(f, verb, k.String()) }

// LogValue logs the key id with the key redacted.
func (k TemporaryAccessKey) LogValue() slog.Value { return redact.Value(k.String()) }

// Format prints the response with the token redacted, for every verb.
func (r GenerateClientTokenResponse) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, r.String())
}

// LogValue logs the response with the token redacted.
func (r GenerateClientTokenResponse) LogValue() slog.Value { return redact.Value(r.String()) }

// String names the client's server URL and how it authenticates, never the key or credential.
func (c Client) String() string {
	auth := "access key"
	if c.accessKey == nil {
		auth = "Microsoft Entra ID"
	}
	s := "signalr.Client(" + c.serverURL + ", " + auth
	if c.application != "" {
		s += ", application " + c.application
	}
	return s + ")"
}

// GoString is String.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue logs String.
func (c Client) LogValue() slog.Value { return redact.Value(c.String()) }

// String names the hub and the client's server URL.
func (h HubClient) String() string {
	server := ""
	if h.client != nil {
		server = " @ " + h.client.serverURL
	}
	return "signalr.HubClient(" + h.hub + server + ")"
}

// GoString is String.
func (h HubClient) GoString() string { return h.String() }

// Format prints String for every verb.
func (h HubClient) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// LogValue logs String.
func (h HubClient) LogValue() slog.Value { return redact.Value(h.String()) }

// String names the endpoint, its type and URL.
func (e Endpoint) String() string {
	r := e.Ref()
	return fmt.Sprintf("signalr.Endpoint(%q, %s, %s)", r.Name, r.EndpointType, r.Endpoint)
}

// GoString is String.
func (e Endpoint) GoString() string { return e.String() }

// Format prints String for every verb.
func (e Endpoint) Format(f fmt.State, verb rune) { redact.Format(f, verb, e.String()) }

// LogValue logs String.
func (e Endpoint) LogValue() slog.Value { return redact.Value(e.String()) }

// String lists the endpoints by name, type and URL.
func (c *MultiEndpointClient) String() string {
	if c == nil {
		return "signalr.MultiEndpointClient(nil)"
	}
	parts := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		r := e.Ref()
		parts[i] = fmt.Sprintf("%q %s %s", r.Name, r.EndpointType, r.Endpoint)
	}
	return "signalr.MultiEndpointClient(" + strings.Join(parts, ", ") + ")"
}

// GoString is String.
func (c *MultiEndpointClient) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *MultiEndpointClient) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// LogValue logs String.
func (c *MultiEndpointClient) LogValue() slog.Value { return redact.Value(c.String()) }

// String names the hub and the endpoints it reaches.
func (h MultiEndpointHubClient) String() string {
	var names []string
	if h.only != nil {
		for _, r := range h.only {
			names = append(names, fmt.Sprintf("%q", refName(r)))
		}
	} else if h.client != nil {
		for _, e := range h.client.endpoints {
			names = append(names, fmt.Sprintf("%q", e.Name))
		}
	}
	return "signalr.MultiEndpointHubClient(" + h.name + " @ " + strings.Join(names, ", ") + ")"
}

// GoString is String.
func (h MultiEndpointHubClient) GoString() string { return h.String() }

// Format prints String for every verb.
func (h MultiEndpointHubClient) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// LogValue logs String.
func (h MultiEndpointHubClient) LogValue() slog.Value { return redact.Value(h.String()) }
