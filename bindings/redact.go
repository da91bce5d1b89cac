package bindings

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// Values printed with %v must not leak secrets: function keys travel in the code query
// parameter and x-functions-key, users' tokens in Authorization and cookies, and connection
// info and negotiate responses carry access tokens. These String methods show shape, not
// content. Each type also implements fmt.Formatter, so every verb (%#v, %d…) prints the same
// redacted text, and slog.LogValuer, so slog's JSON handler does not marshal the secrets.

// sensitiveHeaders are redacted by String.
var sensitiveHeaders = []string{"Authorization", "Cookie", "Set-Cookie", "X-Functions-Key", "X-Ms-Token-Aad-Access-Token",
	"X-Ms-Token-Aad-Id-Token", "X-Ms-Token-Aad-Refresh-Token", "X-Ms-Client-Principal", "Proxy-Authorization"}

func isSensitiveHeader(name string) bool {
	for _, h := range sensitiveHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// redactURL replaces the value of the code query parameter (a function key) and any access
// token parameter.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.EqualFold(k, "code") || strings.EqualFold(k, "access_token") {
			q[k] = []string{"REDACTED"}
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// String shows the method, the URL with keys redacted, header names (secret ones marked) and
// the body size.
func (r HTTPRequest) String() string {
	var b strings.Builder
	b.WriteString("bindings.HTTPRequest{")
	b.WriteString(r.Method)
	b.WriteByte(' ')
	b.WriteString(redactURL(r.URL))
	b.WriteString(", Headers: [")
	for i, k := range sortedKeys(r.Headers) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		if isSensitiveHeader(k) {
			b.WriteString("(REDACTED)")
		}
	}
	b.WriteString("], Body: ")
	b.WriteString(strconv.Itoa(len(r.Body)))
	b.WriteString(" bytes}")
	return b.String()
}

// String lists the Data and Metadata keys; values may hold tokens.
func (r invokeRequest) String() string {
	return "{Data: " + keyList(r.Data) + ", Metadata: " + keyList(r.Metadata) + "}"
}

// String lists the outputs and counts the logs; output values may hold tokens.
func (r invokeResponse) String() string {
	ret := "nil"
	if r.ReturnValue != nil {
		ret = "set"
	}
	return "{Outputs: [" + strings.Join(sortedKeys(r.Outputs), ", ") + "], Logs: " +
		strconv.Itoa(len(r.Logs)) + ", ReturnValue: " + ret + "}"
}

// String shows the status, header names and body size; a negotiate body holds a token.
func (r httpResponse) String() string {
	return "{StatusCode: " + strconv.Itoa(r.StatusCode) + ", Headers: [" +
		strings.Join(sortedKeys(r.Headers), " ") + "], Body: " + strconv.Itoa(len(r.Body)) + " bytes}"
}

// Format prints String for every verb.
func (r HTTPRequest) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// LogValue logs String.
func (r HTTPRequest) LogValue() slog.Value { return redact.Value(r.String()) }

// Format prints String for every verb.
func (r invokeRequest) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// LogValue logs String.
func (r invokeRequest) LogValue() slog.Value { return redact.Value(r.String()) }

// Format prints String for every verb.
func (r invokeResponse) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// LogValue logs String.
func (r invokeResponse) LogValue() slog.Value { return redact.Value(r.String()) }

// Format prints String for every verb.
func (r httpResponse) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// LogValue logs String.
func (r httpResponse) LogValue() slog.Value { return redact.Value(r.String()) }

// String names the function and invocation, with the request and response redacted.
func (inv Invocation) String() string {
	s := "bindings.Invocation{Function: " + inv.Function + ", ID: " + inv.ID
	if inv.req != nil {
		s += ", Request: " + inv.req.String()
	}
	if inv.resp != nil {
		s += ", Response: " + inv.resp.String()
	}
	return s + "}"
}

// Format prints String for every verb.
func (inv Invocation) Format(f fmt.State, verb rune) { redact.Format(f, verb, inv.String()) }

// LogValue logs String.
func (inv Invocation) LogValue() slog.Value { return redact.Value(inv.String()) }
