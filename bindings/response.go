package bindings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// ReturnBindingName is the binding name of a function's return value.
const ReturnBindingName = "$return"

// InvokeResponse is what a custom handler answers to an invocation. The host reads Outputs by
// exact binding name, writes each Logs entry to the invocation's log, and hands ReturnValue to
// a $return binding or to a trigger that takes return values (the SignalR trigger).
//
// Build it with HTTP, SignalR, Output, Log and Return: they write the shapes the host accepts
// and refuse the ones it silently mangles.
type InvokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// HTTPResponse is an HTTP output binding value in the one shape every host path honours:
// a numeric statusCode (status is ignored on named outputs), string header values (others are
// sent as their JSON text) and a string body (objects are re-indented by the host).
type HTTPResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// Header returns the named header, matched case-insensitively.
func (r HTTPResponse) Header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// NewHTTPResponse builds an HTTPResponse. status 0 means 200. Multiple values of one header are
// comma-joined, since the host keeps one string per name. body may be:
//
//   - nil: an empty body;
//   - a string, or []byte holding UTF-8 text: written verbatim, Content-Type
//     text/plain; charset=utf-8 unless headers set one;
//   - json.RawMessage: written verbatim, Content-Type application/json unless set;
//   - anything else: marshalled as compact JSON, Content-Type application/json unless set.
//
// Bodies that are not UTF-8 text are an error: the host cannot return binary data from an
// invocation payload (use enableForwardingHttpRequest for that).
func NewHTTPResponse(status int, headers http.Header, body any) (HTTPResponse, error) {
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		return HTTPResponse{}, fmt.Errorf("bindings: HTTP status %d is invalid; expected 100-999", status)
	}
	resp := HTTPResponse{StatusCode: status, Headers: make(map[string]string, len(headers)+1)}
	for k, v := range headers {
		resp.Headers[k] = strings.Join(v, ", ")
	}
	var contentType string
	switch b := body.(type) {
	case nil:
	case string:
		resp.Body, contentType = b, "text/plain; charset=utf-8"
	case json.RawMessage:
		if !json.Valid(b) {
			return HTTPResponse{}, errors.New("bindings: HTTP body json.RawMessage is not valid JSON")
		}
		resp.Body, contentType = string(b), "application/json"
	case []byte:
		if !utf8.Valid(b) {
			return HTTPResponse{}, errors.New("bindings: HTTP body is not UTF-8 text; the host cannot return binary bodies from an invocation payload (enable HTTP request forwarding for binary responses)")
		}
		resp.Body, contentType = string(b), "text/plain; charset=utf-8"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return HTTPResponse{}, fmt.Errorf("bindings: marshalling the HTTP body: %w", err)
		}
		resp.Body, contentType = string(j), "application/json"
	}
	if contentType != "" && resp.Header("Content-Type") == "" {
		resp.Headers["Content-Type"] = contentType
	}
	return resp, nil
}

// HTTP sets the HTTP output binding name (see NewHTTPResponse for status, headers and body).
// For name "$return" the response becomes the ReturnValue.
func (r *InvokeResponse) HTTP(name string, status int, headers http.Header, body any) error {
	resp, err := NewHTTPResponse(status, headers, body)
	if err != nil {
		return err
	}
	r.setOutput(name, resp)
	return nil
}

// SignalR appends messages and group actions to the signalR output binding name. Items are
// checked as the extension would check them, and written as an array of objects, the one shape
// the host's collector takes item by item. A removeAll group action with a ConnectionID is
// refused: the extension skips it silently (signalr.HubClient.Apply, which talks to the REST
// API directly, does carry it out).
func (r *InvokeResponse) SignalR(name string, items ...signalr.Action) error {
	if name == ReturnBindingName {
		return errors.New("bindings: a signalR output cannot be the return value; give it a name")
	}
	list, _ := r.Outputs[name].([]signalr.Action)
	if list == nil {
		list = make([]signalr.Action, 0, len(items))
	}
	for i, item := range items {
		// The encoder writes nil arguments as [], the only form the extension recognises as a
		// message, so items are stored as given.
		if item == nil || isNilPointer(item) {
			return fmt.Errorf("bindings: signalR output %q item %d is nil", name, i)
		}
		if err := item.Validate(); err != nil {
			return fmt.Errorf("bindings: signalR output %q item %d: %w", name, i, err)
		}
		if removeAllByConnection(item) {
			return fmt.Errorf("bindings: signalR output %q item %d: a removeAll group action with a connectionId is silently skipped by the Functions SignalR extension; remove the connection from each group with remove, or call signalr.HubClient.RemoveConnectionFromAllGroups over the REST API", name, i)
		}
	}
	list = append(list, items...)
	r.setOutput(name, list)
	return nil
}

// removeAllByConnection reports a removeAll group action addressed to a connection, which the
// extension's collector drops without a word (SignalRAsyncCollector.cs handles only add and
// remove for a connection id; spec §8.4).
func removeAllByConnection(item signalr.Action) bool {
	var a signalr.GroupAction
	switch x := item.(type) {
	case signalr.GroupAction:
		a = x
	case *signalr.GroupAction:
		a = *x
	default:
		return false
	}
	return a.Action == signalr.GroupActionRemoveAll && a.ConnectionID != ""
}

func isNilPointer(item signalr.Action) bool {
	switch p := item.(type) {
	case *signalr.Message:
		return p == nil
	case *signalr.GroupAction:
		return p == nil
	}
	return false
}

// Output sets a generic output binding, for extensions without a typed helper. v is sent as
// JSON. Strings that are valid base64 are refused, because the host would decode them into
// bytes (send an object, or []byte when bytes are what you mean).
func (r *InvokeResponse) Output(name string, v any) error {
	if err := checkBase64Trap(v); err != nil {
		return fmt.Errorf("bindings: output %q %w", name, err)
	}
	r.setOutput(name, v)
	return nil
}

// Log appends a line to the invocation's log, as the host's Information log.
func (r *InvokeResponse) Log(format string, args ...any) {
	r.Logs = append(r.Logs, fmt.Sprintf(format, args...))
}

// Return sets ReturnValue. A SignalR trigger hands it to the client that called invoke() (SignalR
// extension 1.15.0 or later); without a $return binding an object's keys also become outputs.
// For a $return binding (HTTP included) App refuses a string the host would base64-decode.
func (r *InvokeResponse) Return(v any) {
	r.ReturnValue = v
}

func (r *InvokeResponse) setOutput(name string, v any) {
	if name == ReturnBindingName {
		r.ReturnValue = v
		return
	}
	if r.Outputs == nil {
		r.Outputs = make(map[string]any, 2)
	}
	r.Outputs[name] = v
}

// checkBase64Trap reports a bare string the host would base64-decode (Convert.FromBase64String
// succeeds on it).
func checkBase64Trap(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.RawMessage:
		t := bytes.TrimSpace(x)
		if len(t) == 0 || t[0] != '"' {
			return nil
		}
		var err error
		if s, err = unquote(t); err != nil {
			return nil
		}
	default:
		return nil
	}
	if IsBase64(s) {
		return errors.New("is a string that is valid base64, which the host decodes into bytes; send an object, or []byte for binary data")
	}
	return nil
}

// IsBase64 reports whether the Functions host would decode s as base64 when it is the value of a
// non-HTTP output or $return (the base64 trap): it mirrors .NET's Convert.FromBase64String,
// which ignores whitespace and wants a length that is a multiple of four, the standard
// alphabet and at most two '=' at the end. "" qualifies.
func IsBase64(s string) bool {
	n, pad := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c == '=':
			pad++
		case pad > 0:
			return false
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		default:
			return false
		}
		n++
	}
	return n%4 == 0 && pad <= 2
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
