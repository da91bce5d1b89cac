package fakehost

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/funcsignalr/funcsignalr/bindings/internal/hostconv"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/internal/outputitem"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// Error texts that describe a host failure quote the host's own wording (capitalised, with a
// final period) so they can be searched for in its documentation and issues.

// hostError is an invocation failure: Error is what the host logs; Inner is the message of the
// exception a SignalR invoke() caller receives as the Completion error (the extension sends
// FunctionResult.Exception.InnerException.Message, SignalRInvocationMethodExecutor.cs), kept
// free of service URLs and response bodies.
type hostError struct {
	err   error
	inner string
}

func (e *hostError) Error() string { return e.err.Error() }
func (e *hostError) Unwrap() error { return e.err }

// completionError is the text an invoke() caller gets for err.
func completionError(err error) string {
	var he *hostError
	if errors.As(err, &he) && he.inner != "" {
		return he.inner
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("Response status code does not indicate success: %d (%s).", re.StatusCode, http.StatusText(re.StatusCode))
	}
	return "Exception while executing function."
}

// outputValue is one entry of the result's Outputs.
type outputValue struct {
	raw json.RawMessage
	// merged marks a value copied from an object ReturnValue (HandleOutputDictionary): it
	// reaches its binding as is, without the host's GetOutputValue step.
	merged bool
}

// result is the handler's HttpScriptInvocationResult.
type result struct {
	outputs     map[string]outputValue // nil when Outputs was absent or null
	logs        []string
	returnValue json.RawMessage // nil when absent or null
}

// maxResponse bounds what the host reads back from a handler.
const maxResponse = 128 << 20

// invoke sends one payload to the handler and reads its answer with the host's rules: a
// non-2xx status, a non-JSON media type or a body that is not a JSON object fails the
// invocation.
func (h *Host) invoke(ctx context.Context, fn manifest.Function, id string, payload []byte) (*result, error) {
	rec := Invocation{Function: fn.Name, ID: id, Request: payload}
	res, err := h.call(ctx, fn, id, payload, &rec)
	if err != nil {
		rec.Err = err.Error()
		if spanFrom(ctx) == nil {
			h.logger.Error("bindingstest: invocation failed", "function", fn.Name, "invocationId", id, "error", err.Error())
		}
	}
	h.record(rec)
	return res, err
}

func (h *Host) call(ctx context.Context, fn manifest.Function, id string, payload []byte, rec *Invocation) (*result, error) {
	// The host writes the payload as an ObjectContent, which goes out chunked, without
	// Content-Length (spec §8.1): a handler that needs Content-Length fails here as in Azure.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.handlerURL+"/"+fn.Name, io.NopCloser(bytes.NewReader(payload)))
	if err != nil {
		return nil, err
	}
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	h.hostHeaders(req.Header, id)
	req.Header.Set("User-Agent", "Azure-Functions-Host/"+h.opts.HostVersion)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the custom handler: %w", err)
	}
	defer resp.Body.Close()
	body, err := readAll(resp.Body, maxResponse)
	rec.Status, rec.Response = resp.StatusCode, body
	if err != nil {
		return nil, fmt.Errorf("reading the custom handler's response: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if span := spanFrom(ctx); span != nil {
			// The host drops a failed answer's body; locally its Logs, where App puts the
			// handler's error, say why the invocation failed.
			if res, err := parseResult(body); err == nil {
				span.Logs(res.logs...)
			}
		}
		msg := fmt.Sprintf("Response status code does not indicate success: %d (%s).", resp.StatusCode, http.StatusText(resp.StatusCode))
		return nil, &hostError{err: errors.New(msg), inner: msg}
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" && mt != "text/json" {
		if ct == "" {
			ct = "application/octet-stream"
		}
		msg := fmt.Sprintf("No MediaTypeFormatter is available to read an object of type 'HttpScriptInvocationResult' from content with media type '%s'.", ct)
		return nil, &hostError{err: errors.New(msg + " The handler must answer with Content-Type: application/json."), inner: msg}
	}
	res, err := parseResult(body)
	if err != nil {
		return nil, err
	}
	mergeReturnValue(fn, res)
	if span := spanFrom(ctx); span != nil {
		span.Logs(res.logs...)
	} else {
		for _, l := range res.logs {
			h.logger.Info(l, "function", fn.Name, "invocationId", id)
		}
	}
	if !h.hooks.DiscardRecords {
		h.mu.Lock()
		for _, l := range res.logs {
			h.logs = append(h.logs, fn.Name+": "+l)
		}
		h.mu.Unlock()
	}
	return res, nil
}

// parseResult reads HttpScriptInvocationResult as ReadAsAsync does: top-level names matched
// ignoring case (a later duplicate wins), Outputs an object, Logs a list of strings.
func parseResult(body []byte) (*result, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		// ReadAsAsync returns null for an empty body; the host then never completes the
		// invocation and fails it at the function timeout (spec §8.3).
		return nil, errors.New("the custom handler answered without a JSON body; the host waits until the function timeout and then fails the invocation")
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		// The body is not quoted: it may hold tokens.
		msg := fmt.Sprintf("the custom handler's response (%d bytes) is not a JSON object", len(body))
		return nil, &hostError{err: errors.New(msg), inner: "Invalid HttpResponseMessage"}
	}
	res := &result{}
	err := jsonwire.EachMember(trimmed, func(k string, v json.RawMessage) error {
		switch {
		case strings.EqualFold(k, "Outputs"):
			res.outputs = nil
			if isNull(v) {
				return nil
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(v, &m); err != nil || m == nil {
				return errors.New("the custom handler's Outputs is not a JSON object")
			}
			res.outputs = make(map[string]outputValue, len(m))
			for name, raw := range m {
				res.outputs[name] = outputValue{raw: raw}
			}
		case strings.EqualFold(k, "Logs"):
			res.logs = nil
			if isNull(v) {
				return nil
			}
			logs, err := parseLogs(v)
			if err != nil {
				return err
			}
			res.logs = logs
		case strings.EqualFold(k, "ReturnValue"):
			res.returnValue = nil
			if !isNull(v) {
				res.returnValue = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, &hostError{err: err, inner: "Invalid HttpResponseMessage"}
	}
	return res, nil
}

// parseLogs reads Logs into List<string> as Newtonsoft does: strings as they are, numbers and
// booleans as their JSON text (JsonReader.ReadAsString), nulls skipped; an object or an array
// element fails the invocation (spec §8.3).
func parseLogs(v json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, errors.New("the custom handler's Logs is not an array of strings")
	}
	logs := make([]string, 0, len(items))
	for i, item := range items {
		item = bytes.TrimSpace(item)
		switch item[0] {
		case '"':
			var s string
			_ = json.Unmarshal(item, &s)
			logs = append(logs, s)
		case 'n':
		case '{', '[':
			return nil, fmt.Errorf("the custom handler's Logs entry %d is a JSON %s; the host reads Logs as strings and fails the invocation", i, map[byte]string{'{': "object", '[': "array"}[item[0]])
		default:
			logs = append(logs, string(item))
		}
	}
	return logs, nil
}

func (h *Host) hostHeaders(hdr http.Header, id string) {
	hdr.Set("X-Azure-Functions-HostVersion", h.opts.HostVersion)
	hdr.Set("X-Azure-Functions-InvocationId", id)
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// mergeReturnValue copies an object ReturnValue's members into Outputs, overwriting, for every
// function without a $return binding, the SignalR trigger included
// (WorkerFunctionInvoker.cs HandleOutputDictionary).
func mergeReturnValue(fn manifest.Function, res *result) {
	if _, hasReturn := findBinding(fn, manifest.ReturnBindingName); hasReturn || len(res.returnValue) == 0 {
		return
	}
	rv := bytes.TrimSpace(res.returnValue)
	if rv[0] != '{' {
		return
	}
	_ = jsonwire.EachMember(rv, func(k string, v json.RawMessage) error {
		if res.outputs == nil {
			res.outputs = map[string]outputValue{}
		}
		res.outputs[k] = outputValue{raw: v, merged: true}
		return nil
	})
}

func findBinding(fn manifest.Function, name string) (manifest.Binding, bool) {
	for _, b := range fn.Bindings {
		if b.Name == name {
			return b, true
		}
	}
	return manifest.Binding{}, false
}

// applyOutputs carries out the non-HTTP outputs after a successful invocation.
func (h *Host) applyOutputs(ctx context.Context, fn manifest.Function, res *result) error {
	for _, b := range fn.Bindings {
		if b.Direction != manifest.DirectionOut || b.Is(manifest.TypeHTTP) {
			continue
		}
		var v outputValue
		if b.Name == manifest.ReturnBindingName {
			v = outputValue{raw: res.returnValue}
		} else {
			v = res.outputs[b.Name]
		}
		if isNull(v.raw) {
			continue
		}
		switch {
		case b.Is(manifest.TypeSignalR):
			if err := h.applySignalR(ctx, b, v); err != nil {
				return fmt.Errorf("output %s: %w", b.Name, err)
			}
		default:
			h.logger.Warn("bindingstest: output binding type is not emulated; value dropped", "function", fn.Name, "binding", b.Name, "type", b.Type)
		}
	}
	return nil
}

// applySignalR reads a signalR output as the host and the extension do (GetBindingValue,
// FunctionBinding.ReadAsEnumerable, SignalROutputConverter, SignalRAsyncCollector) and sends
// the items one by one, in order, stopping at the first that fails.
func (h *Host) applySignalR(ctx context.Context, b manifest.Binding, v outputValue) error {
	raw := bytes.TrimSpace(v.raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		if !v.merged && b.DataType != "binary" && hostconv.IsBase64(s) {
			return errors.New("the value is a string that is valid base64, which the host turns into bytes; the signalR binding cannot take bytes (send objects)")
		}
		t := bytes.TrimSpace([]byte(s))
		if !json.Valid(t) {
			return errors.New("the value is a string that is not JSON; the signalR binding takes message or group action objects")
		}
		raw = t
	}
	var items []json.RawMessage
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
	} else {
		items = []json.RawMessage{raw}
	}
	var svc *service
	for i, item := range items {
		// The extension's converter, then its collector: removeAll for a connection is dropped,
		// an item without a connection or user id fails.
		a, err := outputitem.Parse(item)
		if err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		if outputitem.SkippedByExtension(a) {
			// SignalRAsyncCollector.cs handles only add and remove for a connection id.
			h.logger.Debug("bindingstest: removeAll with a connectionId is skipped, as the extension skips it", "binding", b.Name, "item", i)
			continue
		}
		if ga, ok := a.(signalr.GroupAction); ok && ga.ConnectionID == "" && ga.UserID == "" {
			return fmt.Errorf("item %d: ConnectionId and UserId cannot be null or empty together", i)
		}
		if a, err = outputitem.Check(a); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		if svc == nil {
			if svc, err = h.service(b); err != nil {
				return err
			}
		}
		if err := svc.apply(ctx, b.HubName, a); err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return nil
}

// httpAnswer is the HTTP response the host builds from the function's http output.
type httpAnswer struct {
	status      int
	headers     []kv // in order, Content-Type excluded
	contentType string
	typed       bool   // a Content-Type header was given
	body        []byte // nil: OkResult, no body and no Content-Type
	binary      bool   // a byte[] body (the base64 trap): no charset, no default Content-Type
	// execErr fails the response when the host writes it (RawScriptResult), after the other
	// outputs ran.
	execErr error
}

// okResult is what the caller gets when the function set no http output.
var okResult = &httpAnswer{status: http.StatusOK}

// buildHTTPAnswer turns the function's http output into the response, with the host's rules
// for named outputs (HttpScriptInvocationResultExtensions.GetHttpOutputBindingResponse), for
// $return and for values merged from an object ReturnValue (HttpBinding.CreateResult). An error
// fails the invocation before any output is applied.
func buildHTTPAnswer(fn manifest.Function, res *result) (*httpAnswer, error) {
	out, ok := fn.Find(manifest.TypeHTTP, manifest.DirectionOut)
	if !ok {
		return okResult, nil
	}
	if out.Name == manifest.ReturnBindingName {
		if len(res.returnValue) == 0 {
			return okResult, nil
		}
		v := bytes.TrimSpace(res.returnValue)
		if v[0] == '"' && out.DataType != "binary" {
			// GetBindingValue runs on every $return string, HTTP included (spec §8.3).
			var s string
			_ = json.Unmarshal(v, &s)
			if hostconv.IsBase64(s) {
				b, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
				if b == nil {
					b = []byte{}
				}
				return &httpAnswer{status: http.StatusOK, body: b, binary: true}, nil
			}
		}
		return createResult(v), nil
	}
	ov, present := res.outputs[out.Name]
	switch {
	case present && ov.merged:
		return createResult(bytes.TrimSpace(ov.raw)), nil
	case res.outputs == nil:
		// No Outputs at all: no response object, so FunctionInvocationMiddleware answers
		// with an OkResult, an empty 200 (spec §8.3).
		return okResult, nil
	case !present:
		// An empty ExpandoObject, written as compact JSON.
		return &httpAnswer{status: http.StatusOK, body: []byte("{}")}, nil
	case isNull(ov.raw):
		return nil, &hostError{err: fmt.Errorf("http output %q is null: Failed while trying to Deserialize to httpOutputBindingResponse. Output is not in expected format", out.Name), inner: "Failed while trying to Deserialize to httpOutputBindingResponse. Output is not in expected format"}
	}
	return namedResult(out.Name, bytes.TrimSpace(ov.raw))
}

// namedResult deserializes a named http output into HttpOutputBindingResponse
// {StatusCode string, Status string, Body object, Headers IDictionary<string,object>}.
func namedResult(name string, v json.RawMessage) (*httpAnswer, error) {
	fail := func(why string) error {
		return &hostError{err: fmt.Errorf("http output %q %s; expected {\"statusCode\":…,\"headers\":{…},\"body\":…}: Failed while trying to Deserialize to httpOutputBindingResponse. Output is not in expected format", name, why),
			inner: "Failed while trying to Deserialize to httpOutputBindingResponse. Output is not in expected format"}
	}
	if v[0] == '"' {
		// outputBindingValue.ToString() of a string is the string: JSON text in a string works.
		var s string
		_ = json.Unmarshal(v, &s)
		v = bytes.TrimSpace([]byte(s))
	}
	if len(v) == 0 || v[0] != '{' || !json.Valid(v) {
		return nil, fail("is not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	_ = jsonwire.EachMember(v, func(k string, x json.RawMessage) error {
		fields[strings.ToLower(k)] = bytes.TrimSpace(x)
		return nil
	})
	a := &httpAnswer{status: http.StatusOK}
	for _, name := range []string{"statuscode", "status"} {
		if x, ok := fields[name]; ok && len(x) > 0 && (x[0] == '{' || x[0] == '[') {
			return nil, fail("has " + name + " that is not a string or number")
		}
	}
	// StatusCode is a string property: a number arrives as its text, and only an integer
	// counts (HttpBinding.TryParseStatusCode); status is never consulted on this path.
	if sc, ok := fields["statuscode"]; ok && !isNull(sc) {
		text := string(sc)
		if sc[0] == '"' {
			_ = json.Unmarshal(sc, &text)
		}
		if n, ok := parseDotnetInt(text); ok {
			a.status = n
		}
	}
	if hv, ok := fields["headers"]; ok && !isNull(hv) {
		if hv[0] != '{' {
			return nil, fail("has headers that are not an object")
		}
		a.setHeaders(hv, false)
	}
	if bv, ok := fields["body"]; ok {
		a.body = []byte(namedBodyText(bv))
	} else {
		a.body = []byte{}
	}
	return a, nil
}

// createResult is HttpBinding.CreateResult for a $return value or a value merged from an object
// ReturnValue: a string is tried as JSON; an object with a body member is a response (status
// from statusCode, else status; headers; body), any other value is the body itself.
func createResult(v json.RawMessage) *httpAnswer {
	content := v
	if v[0] == '"' {
		var s string
		_ = json.Unmarshal(v, &s)
		t := bytes.TrimSpace([]byte(s))
		switch {
		case len(t) == 0:
			// JsonConvert.DeserializeObject("") is null: an empty body.
			return &httpAnswer{status: http.StatusOK, body: []byte{}}
		case json.Valid(t):
			content = t
		default:
			return &httpAnswer{status: http.StatusOK, body: []byte(s)}
		}
	}
	a := &httpAnswer{status: http.StatusOK}
	if content[0] != '{' {
		a.body = []byte(contentText(content, true))
		return a
	}
	fields := map[string]json.RawMessage{}
	var order []string
	_ = jsonwire.EachMember(content, func(k string, x json.RawMessage) error {
		lk := strings.ToLower(k)
		if _, seen := fields[lk]; !seen {
			order = append(order, lk)
		}
		fields[lk] = bytes.TrimSpace(x)
		return nil
	})
	body, ok := fields["body"]
	if !ok {
		// Not a response object: the JObject is the content, written indented as text.
		a.body = []byte(contentText(content, true))
		return a
	}
	if sc, ok := fields["statuscode"]; ok {
		if n, ok := expandoStatus(sc); ok {
			a.status = n
		}
	} else if st, ok := fields["status"]; ok {
		if n, ok := expandoStatus(st); ok {
			a.status = n
		}
	}
	if hv, ok := fields["headers"]; ok && len(hv) > 0 && hv[0] == '{' {
		a.setHeaders(hv, true)
	}
	a.body = []byte(expandoText(body))
	return a
}

// expandoStatus is TryParseStatusCode on an ExpandoObject member: an integer (long) or a
// string holding one.
func expandoStatus(v json.RawMessage) (int, bool) {
	switch {
	case isNull(v) || v[0] == '{' || v[0] == '[' || v[0] == 't' || v[0] == 'f':
		return 0, false
	case v[0] == '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return parseDotnetInt(s)
	case bytes.ContainsAny(v, ".eE"):
		return 0, false // a double matches none of TryParseStatusCode's types
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < -1<<31 || n > 1<<31-1 {
		return 0, false
	}
	return int(n), true
}

// parseDotnetInt is int.TryParse with NumberStyles.Integer: surrounding white space and a
// leading sign allowed.
func parseDotnetInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// setHeaders copies response headers in order. Content-Type (any casing) sets the content
// type, the last one winning; another name already present (ignoring case) is dropped and
// logged by the host (RawScriptResult.cs). A value the response cannot carry fails the
// response when it is written.
func (a *httpAnswer) setHeaders(obj json.RawMessage, expando bool) {
	_ = jsonwire.EachMember(obj, func(k string, v json.RawMessage) error {
		v = bytes.TrimSpace(v)
		if strings.EqualFold(k, "Content-Type") {
			if isNull(v) {
				a.fail(errors.New("content-type header cannot be null"))
				return nil
			}
			a.contentType, a.typed = headerText(v, expando), true
			return nil
		}
		for _, x := range a.headers {
			if strings.EqualFold(x.k, k) {
				return nil // Duplicate HTTP header from function invocation removed.
			}
		}
		if isNull(v) {
			a.fail(fmt.Errorf("header %q is null: Object reference not set to an instance of an object.", k))
			return nil
		}
		if !expando && (v[0] == '[' || v[0] == '{') {
			// JToken.ToString() is indented JSON; an array or object of any content breaks
			// the header (spec §8.3).
			if text := contentText(v, true); strings.ContainsAny(text, "\r\n") {
				a.fail(fmt.Errorf("header %q is a JSON %s, which the host writes as indented text with line breaks that the response refuses; send header values as strings", k, kindName(v)))
				return nil
			}
		}
		a.headers = append(a.headers, kv{k, headerText(v, expando)})
		return nil
	})
}

func (a *httpAnswer) fail(err error) {
	if a.execErr == nil {
		a.execErr = err
	}
}

func kindName(v json.RawMessage) string {
	if v[0] == '[' {
		return "array"
	}
	return "object"
}

// headerText is value.ToString() of a header value: for a named output the value Newtonsoft
// made of the JSON (strings, long, double, bool, JObject, JArray); on the $return path the
// value an ExpandoObject holds (nested objects are ExpandoObjects, arrays List<object>).
func headerText(v json.RawMessage, expando bool) string {
	if expando {
		return expandoText(v)
	}
	return contentText(v, true)
}

// contentText is the ToString of a value Newtonsoft parsed: JSON strings as they are (dates in
// .NET's form), numbers and booleans as .NET writes them, JObject and JArray as indented JSON
// (JToken.ToString), null as "".
func contentText(v json.RawMessage, indent bool) string {
	v = bytes.TrimSpace(v)
	switch {
	case isNull(v):
		return ""
	case v[0] == '{' || v[0] == '[':
		b, err := reencode(v, indent)
		if err != nil {
			return string(v)
		}
		return string(b)
	}
	s, _ := dotnetString(v)
	return s
}

// expandoText is the ToString the host applies to a member of an ExpandoObject response: an
// object body is written as compact JSON (Utility.ToJson), an array is a List<object>, which
// has no better ToString than its type name.
func expandoText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '{':
		return contentText(v, false)
	case len(v) > 0 && v[0] == '[':
		return "System.Collections.Generic.List`1[System.Object]"
	}
	return contentText(v, false)
}

// namedBodyText is the ToString of HttpOutputBindingResponse.Body: objects and arrays indented.
func namedBodyText(v json.RawMessage) string { return contentText(v, true) }

// write sends the answer. Text bodies go through ASP.NET Core's StringOutputFormatter, which
// sets the charset to utf-8 on whatever Content-Type the function chose (text/plain by
// default); a byte[] body keeps the Content-Type as given, or none.
func (a *httpAnswer) write(w http.ResponseWriter) error {
	if a.execErr != nil {
		return a.execErr
	}
	if a.status < 100 || a.status > 999 {
		return fmt.Errorf("status code %d is not a valid HTTP status", a.status)
	}
	for _, x := range a.headers {
		if err := checkHeader(x.k, x.v); err != nil {
			return err
		}
	}
	if a.typed {
		if err := checkHeader("Content-Type", a.contentType); err != nil {
			return err
		}
	}
	hdr := w.Header()
	for _, x := range a.headers {
		if len(hdr.Values(x.k)) > 0 {
			continue // a header the host had set already (CORS) wins
		}
		hdr[http.CanonicalHeaderKey(x.k)] = []string{x.v}
	}
	switch {
	case a.body == nil:
		// OkResult: no body, no Content-Type.
	case a.binary:
		if a.typed {
			hdr.Set("Content-Type", a.contentType)
		} else {
			hdr["Content-Type"] = nil // no media type, and none sniffed
		}
	default:
		hdr.Set("Content-Type", withUTF8Charset(a.contentType))
	}
	w.WriteHeader(a.status)
	if len(a.body) > 0 {
		_, _ = w.Write(a.body)
	}
	return nil
}

// checkHeader applies Kestrel's rules for response headers: a token name, and a value of
// visible ASCII, spaces and tabs only.
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("a response header has an empty name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return fmt.Errorf("response header name %q is not a valid token", name)
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return fmt.Errorf("Invalid non-ASCII or control character in header %q: 0x%04X", name, c)
		}
	}
	return nil
}

// withUTF8Charset is TextOutputFormatter's content type: text/plain when none is set, and the
// charset parameter set to utf-8 whether or not the function gave one.
func withUTF8Charset(ct string) string {
	if strings.TrimSpace(ct) == "" {
		return "text/plain; charset=utf-8"
	}
	parts := strings.Split(ct, ";")
	for i := 1; i < len(parts); i++ {
		name, _, ok := strings.Cut(parts[i], "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "charset") {
			lead := parts[i][:len(parts[i])-len(strings.TrimLeft(parts[i], " "))]
			parts[i] = lead + strings.TrimSpace(name) + "=utf-8"
			return strings.Join(parts, ";")
		}
	}
	return ct + "; charset=utf-8"
}

// markFailed records that the host failed invocation id after the handler answered.
func (h *Host) markFailed(id string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.invocations) - 1; i >= 0; i-- {
		if h.invocations[i].ID == id {
			h.invocations[i].Err = err.Error()
			return
		}
	}
}

// fail answers a caller whose invocation failed, as the host does: a bare 500, the details in
// the log only.
func (h *Host) fail(w http.ResponseWriter, function string, err error) {
	h.logFailure("bindingstest: function failed", function, err)
	w.WriteHeader(http.StatusInternalServerError)
}

// logFailure logs a failed invocation, unless Hooks.Log writes it with the Executed line.
func (h *Host) logFailure(msg, function string, err error) {
	if h.hooks.Log != nil {
		return
	}
	h.logger.Error(msg, "function", function, "error", err.Error())
}
