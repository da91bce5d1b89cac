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

	"github.com/funcsignalr/funcsignalr/bindings/internal/hostconv"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/internal/outputitem"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// invokeResponse is what a custom handler answers to an invocation. The host reads Outputs by
// exact binding name, writes each Logs entry to the invocation's log, and hands ReturnValue to
// a $return binding or to a trigger that takes return values (the SignalR trigger).
//
// Invocation's Respond, Send, Output, Log and Return fill it in: they write the shapes the host
// accepts and refuse the ones it silently mangles.
type invokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// httpResponse is an HTTP output binding value in the one shape every host path honours:
// a numeric statusCode (status is ignored on named outputs), string header values (others are
// sent as their JSON text) and a string body (objects are re-indented by the host).
type httpResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// Header returns the named header, matched case-insensitively.
func (r httpResponse) Header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// newHTTPResponse builds an httpResponse. status 0 means 200. Multiple values of one header are
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
func newHTTPResponse(status int, headers http.Header, body any) (httpResponse, error) {
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		return httpResponse{}, fmt.Errorf("bindings: HTTP status %d is invalid; expected 100-999", status)
	}
	resp := httpResponse{StatusCode: status, Headers: make(map[string]string, len(headers)+1)}
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
			return httpResponse{}, errors.New("bindings: HTTP body json.RawMessage is not valid JSON")
		}
		resp.Body, contentType = string(b), "application/json"
	case []byte:
		if !utf8.Valid(b) {
			return httpResponse{}, errors.New("bindings: HTTP body is not UTF-8 text; the host cannot return binary bodies from an invocation payload (enable HTTP request forwarding for binary responses)")
		}
		resp.Body, contentType = string(b), "text/plain; charset=utf-8"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return httpResponse{}, fmt.Errorf("bindings: marshalling the HTTP body: %w", err)
		}
		resp.Body, contentType = string(j), "application/json"
	}
	if contentType != "" && resp.Header("Content-Type") == "" {
		resp.Headers["Content-Type"] = contentType
	}
	return resp, nil
}

// setHTTP sets the HTTP output binding name (see newHTTPResponse for status, headers and body).
// For name "$return" the response becomes the ReturnValue.
func (r *invokeResponse) setHTTP(name string, status int, headers http.Header, body any) error {
	resp, err := newHTTPResponse(status, headers, body)
	if err != nil {
		return err
	}
	r.setOutput(name, resp)
	return nil
}

// signalR appends messages and group actions to the signalR output binding name, each checked
// once by the classifier the fake host shares (internal/outputitem); see Invocation.Send.
func (r *invokeResponse) signalR(name string, items ...signalr.Action) error {
	if name == manifest.ReturnBindingName {
		return errors.New("bindings: a signalR output cannot be the return value; give it a name")
	}
	list, _ := r.Outputs[name].([]signalr.Action)
	if list == nil {
		list = make([]signalr.Action, 0, len(items))
	}
	for i, item := range items {
		a, err := outputitem.Check(item)
		if err != nil {
			return fmt.Errorf("bindings: signalR output %q item %d: %w", name, i, err)
		}
		if outputitem.SkippedByExtension(a) {
			return fmt.Errorf("bindings: signalR output %q item %d: a removeAll group action with a connectionId is silently skipped by the Functions SignalR extension; remove the connection from each group with remove, or call signalr.HubClient.RemoveConnectionFromAllGroups over the REST API", name, i)
		}
		// Stored as values: the encoder writes nil arguments as [], the only form the extension
		// recognises as a message.
		list = append(list, a)
	}
	r.setOutput(name, list)
	return nil
}

// output sets a generic output binding, for extensions without a typed helper. v is sent as
// JSON. Strings that are valid base64 are refused, because the host would decode them into
// bytes (send an object, or []byte when bytes are what you mean).
func (r *invokeResponse) output(name string, v any) error {
	if err := checkBase64Trap(v); err != nil {
		return fmt.Errorf("bindings: output %q %w", name, err)
	}
	r.setOutput(name, v)
	return nil
}

// logf appends a line to the invocation's log, as the host's Information log.
func (r *invokeResponse) logf(format string, args ...any) {
	r.Logs = append(r.Logs, fmt.Sprintf(format, args...))
}

// setReturn sets ReturnValue (see Invocation.Return).
func (r *invokeResponse) setReturn(v any) {
	r.ReturnValue = v
}

func (r *invokeResponse) setOutput(name string, v any) {
	if name == manifest.ReturnBindingName {
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
	if hostconv.IsBase64(s) {
		return errors.New("is a string that is valid base64, which the host decodes into bytes; send an object, or []byte for binary data")
	}
	return nil
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
