package bindings

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// HTTPRequest is an HTTP trigger's value as the host sends it (Data.<trigger name>).
type HTTPRequest struct {
	// URL is scheme://host/path?query as the host received it, including the route prefix.
	URL string
	// Method is the HTTP method, such as "POST".
	Method string
	// Query holds the query parameters; repeated keys are comma-joined by the host.
	Query map[string]string
	// Headers holds the request headers with the names as the host received them; use Header
	// for a case-insensitive lookup.
	Headers map[string][]string
	// Params holds the route values of the function's route template.
	Params map[string]string
	// Identities are the caller's claims identities (App Service authentication, function keys).
	Identities []Identity
	// Body is the request body. The host sends it base64-encoded for application/octet-stream
	// and multipart/* and as text otherwise; either way Body holds the original bytes. It is
	// nil when the request had no Content-Length or a zero one.
	Body []byte
}

// Identity is a serialized .NET ClaimsIdentity.
type Identity struct {
	AuthenticationType string  `json:"AuthenticationType"`
	IsAuthenticated    bool    `json:"IsAuthenticated"`
	Name               string  `json:"Name"`
	NameClaimType      string  `json:"NameClaimType"`
	RoleClaimType      string  `json:"RoleClaimType"`
	Claims             []Claim `json:"Claims"`
}

// Claim is one claim of an Identity.
type Claim struct {
	Type           string `json:"Type"`
	Value          string `json:"Value"`
	ValueType      string `json:"ValueType"`
	Issuer         string `json:"Issuer"`
	OriginalIssuer string `json:"OriginalIssuer"`
}

// Header returns the first value of the named header, matched case-insensitively, or "".
func (r *HTTPRequest) Header(name string) string {
	if v := r.HeaderValues(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// HeaderValues returns every value of the named header, matched case-insensitively.
func (r *HTTPRequest) HeaderValues(name string) []string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// JSON decodes the body as JSON into v.
func (r *HTTPRequest) JSON(v any) error {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return errors.New("bindings: request body is empty; expected JSON")
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("bindings: request body is not the expected JSON: %w", err)
	}
	return nil
}

// ToHTTPRequest rebuilds the caller's request as a server-side *http.Request (method, URL,
// headers, body), so net/http helpers and packages such as negotiate.PrincipalFromRequest
// work on it.
func (r *HTTPRequest) ToHTTPRequest(ctx context.Context) (*http.Request, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("bindings: request URL is invalid: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("bindings: rebuilding the request: %w", err)
	}
	req.RequestURI = u.RequestURI()
	req.Host = u.Host
	req.ContentLength = int64(len(r.Body))
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Host") {
			if len(v) > 0 {
				req.Host = v[0]
			}
			continue
		}
		for _, x := range v {
			req.Header.Add(k, x)
		}
	}
	return req, nil
}

// httpRequestWire is the host's shape (HttpRequestExtensions.GetRequestAsJObject) decoded
// strictly; it is the fast path.
type httpRequestWire struct {
	URL        string              `json:"Url"`
	Method     string              `json:"Method"`
	Query      map[string]string   `json:"Query"`
	Headers    map[string][]string `json:"Headers"`
	Params     map[string]string   `json:"Params"`
	Identities []Identity          `json:"Identities"`
	Body       *string             `json:"Body"`
}

// httpRequestLoose accepts every form the host has used or might: Query as a JSON string
// (hosts before 2020-09), single header values, non-string route values, object bodies.
type httpRequestLoose struct {
	URL        string                     `json:"Url"`
	Method     string                     `json:"Method"`
	Query      json.RawMessage            `json:"Query"`
	Headers    map[string]json.RawMessage `json:"Headers"`
	Params     map[string]json.RawMessage `json:"Params"`
	Identities []Identity                 `json:"Identities"`
	Body       json.RawMessage            `json:"Body"`
}

// HTTPRequest decodes the HTTP trigger named name.
func (r *invokeRequest) httpRequest(name string) (*HTTPRequest, error) {
	raw, ok := r.Data[name]
	if !ok {
		return nil, fmt.Errorf("bindings: no input binding %q in the invocation; it has %s", name, keyList(r.Data))
	}
	req, err := parseHTTPRequest(raw)
	if err != nil {
		return nil, fmt.Errorf("bindings: decoding HTTP trigger %q: %w", name, err)
	}
	return req, nil
}

func parseHTTPRequest(raw []byte) (*HTTPRequest, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		// Not what the host sends, but what it would send if the value were ever serialized.
		s, err := unquote(raw)
		if err != nil {
			return nil, err
		}
		raw = []byte(s)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("value is not a JSON object; expected {Url, Method, Query, Headers, …}")
	}
	var w httpRequestWire
	if err := json.Unmarshal(raw, &w); err == nil {
		req := &HTTPRequest{URL: w.URL, Method: w.Method, Query: w.Query, Headers: w.Headers, Params: w.Params, Identities: w.Identities}
		if w.Body != nil {
			body, err := decodeBody(*w.Body, req)
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		return req, nil
	}
	var l httpRequestLoose
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, err
	}
	req := &HTTPRequest{URL: l.URL, Method: l.Method, Identities: l.Identities}
	var err error
	if req.Query, err = looseStringMap(l.Query, "Query"); err != nil {
		return nil, err
	}
	if len(l.Params) > 0 {
		req.Params = make(map[string]string, len(l.Params))
		for k, v := range l.Params {
			req.Params[k] = scalarText(v)
		}
	}
	if len(l.Headers) > 0 {
		req.Headers = make(map[string][]string, len(l.Headers))
		for k, v := range l.Headers {
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				var one string
				if err := json.Unmarshal(v, &one); err != nil {
					return nil, fmt.Errorf("header %q is neither a string nor an array of strings", k)
				}
				list = []string{one}
			}
			req.Headers[k] = list
		}
	}
	body := bytes.TrimSpace(l.Body)
	switch {
	case len(body) == 0 || bytes.Equal(body, nullJSON):
	case body[0] == '"':
		s, err := unquote(body)
		if err != nil {
			return nil, err
		}
		if req.Body, err = decodeBody(s, req); err != nil {
			return nil, err
		}
	default:
		req.Body = append([]byte(nil), body...)
	}
	return req, nil
}

// looseStringMap reads an object {name: value} or a JSON string holding one.
func looseStringMap(raw json.RawMessage, what string) (map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, nullJSON) {
		return nil, nil
	}
	if raw[0] == '"' {
		s, err := unquote(raw)
		if err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace([]byte(s))
		if len(raw) == 0 {
			return nil, nil
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s is neither an object nor a string holding one", what)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = scalarText(v)
	}
	return out, nil
}

// scalarText is a JSON string's value, or the JSON text of anything else.
func scalarText(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		if s, err := unquote(v); err == nil {
			return s
		}
	}
	if bytes.Equal(v, nullJSON) {
		return ""
	}
	return string(v)
}

// decodeBody turns the host's Body string back into bytes: base64 for the media types the host
// reads as bytes, text otherwise.
func decodeBody(s string, req *HTTPRequest) ([]byte, error) {
	if !binaryMediaType(req.Header("Content-Type")) {
		return []byte(s), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("body of an application/octet-stream or multipart request is not base64")
	}
	return b, nil
}

// binaryMediaType mirrors the host's IsMediaTypeOctetOrMultipart.
func binaryMediaType(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/")
}
