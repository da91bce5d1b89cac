package bindingstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// Error texts that describe a host failure quote the host's own wording (capitalised, with a
// final period) so they can be searched for in its documentation and issues.

// result is the handler's HttpScriptInvocationResult.
type result struct {
	outputs     map[string]json.RawMessage
	logs        []string
	returnValue json.RawMessage // nil when absent or null
}

// maxResponse bounds what the host reads back from a handler.
const maxResponse = 128 << 20

// invoke sends one payload to the handler and reads its answer with the host's rules: a
// non-2xx status, a non-JSON media type or a body that is not a JSON object fails the
// invocation.
func (h *Host) invoke(ctx context.Context, fn bindings.Function, id string, payload []byte) (*result, error) {
	rec := Invocation{Function: fn.Name, ID: id, Request: payload}
	res, err := h.call(ctx, fn, id, payload, &rec)
	if err != nil {
		rec.Err = err.Error()
		h.logger.Error("bindingstest: invocation failed", "function", fn.Name, "invocationId", id, "error", err.Error())
	}
	h.record(rec)
	return res, err
}

func (h *Host) call(ctx context.Context, fn bindings.Function, id string, payload []byte, rec *Invocation) (*result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.handlerURL+"/"+fn.Name, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	h.hostHeaders(req.Header, id)
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
		return nil, fmt.Errorf("Response status code does not indicate success: %d (%s).", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" && mt != "text/json" {
		if ct == "" {
			ct = "application/octet-stream"
		}
		return nil, fmt.Errorf("No MediaTypeFormatter is available to read an object of type 'HttpScriptInvocationResult' from content with media type '%s'; the handler must answer with Content-Type: application/json", ct)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		// The body is not quoted: it may hold tokens.
		return nil, fmt.Errorf("the custom handler's response (%d bytes) is not a JSON object", len(body))
	}
	res := &result{}
	for k, v := range top {
		switch {
		case strings.EqualFold(k, "Outputs"):
			if !isNull(v) {
				if err := json.Unmarshal(v, &res.outputs); err != nil {
					return nil, errors.New("the custom handler's Outputs is not a JSON object")
				}
			}
		case strings.EqualFold(k, "Logs"):
			if !isNull(v) {
				var logs []json.RawMessage
				if err := json.Unmarshal(v, &logs); err != nil {
					return nil, errors.New("the custom handler's Logs is not an array")
				}
				for _, l := range logs {
					res.logs = append(res.logs, scalarText(l))
				}
			}
		case strings.EqualFold(k, "ReturnValue"):
			if !isNull(v) {
				res.returnValue = v
			}
		}
	}
	mergeReturnValue(fn, res)
	for _, l := range res.logs {
		h.logger.Info(l, "function", fn.Name, "invocationId", id)
	}
	h.mu.Lock()
	for _, l := range res.logs {
		h.logs = append(h.logs, fn.Name+": "+l)
	}
	h.mu.Unlock()
	return res, nil
}

func (h *Host) hostHeaders(hdr http.Header, id string) {
	hdr.Set("X-Azure-Functions-InvocationId", id)
	hdr.Set("X-Azure-Functions-HostVersion", h.opts.HostVersion)
	hdr.Set("User-Agent", "Azure-Functions-Host/"+h.opts.HostVersion)
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// scalarText is a JSON string's value, or any other value's JSON text (.NET's ToString of a
// JValue, with booleans capitalised).
func scalarText(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	case bytes.Equal(v, []byte("true")):
		return "True"
	case bytes.Equal(v, []byte("false")):
		return "False"
	case isNull(v):
		return ""
	case len(v) > 0 && (v[0] == '{' || v[0] == '['):
		if b, err := reencode(v, true); err == nil {
			return string(b)
		}
	}
	return string(v)
}

// applyOutputs carries out the non-HTTP outputs after a successful invocation.
func (h *Host) applyOutputs(ctx context.Context, fn bindings.Function, res *result) error {
	outputs := res.outputs
	for _, b := range fn.Bindings {
		if b.Direction != bindings.DirectionOut || b.Is(bindings.TypeHTTP) {
			continue
		}
		v, ok := outputs[b.Name]
		if b.Name == bindings.ReturnBindingName {
			v, ok = res.returnValue, len(res.returnValue) > 0
		}
		if !ok || isNull(v) {
			continue
		}
		switch {
		case b.Is(bindings.TypeSignalR):
			if err := h.applySignalR(ctx, b, v); err != nil {
				return fmt.Errorf("output %s: %w", b.Name, err)
			}
		default:
			h.logger.Warn("bindingstest: output binding type is not emulated; value dropped", "function", fn.Name, "binding", b.Name, "type", b.Type)
		}
	}
	return nil
}

// mergeReturnValue copies an object ReturnValue's keys into the outputs, overwriting, when the
// function has no $return binding and its trigger does not take the return value itself
// (WorkerFunctionInvoker.HandleOutputDictionary).
func mergeReturnValue(fn bindings.Function, res *result) {
	_, hasReturn := findBinding(fn, bindings.ReturnBindingName)
	trig, _ := fn.Trigger()
	if hasReturn || trig.Is(bindings.TypeSignalRTrigger) || len(res.returnValue) == 0 || bytes.TrimSpace(res.returnValue)[0] != '{' {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(res.returnValue, &obj) != nil {
		return
	}
	if res.outputs == nil {
		res.outputs = map[string]json.RawMessage{}
	}
	for k, v := range obj {
		res.outputs[k] = v
	}
}

func findBinding(fn bindings.Function, name string) (bindings.Binding, bool) {
	for _, b := range fn.Bindings {
		if b.Name == name {
			return b, true
		}
	}
	return bindings.Binding{}, false
}

// applySignalR reads a signalR output as the host and the extension do (GetBindingValue,
// ReadAsEnumerable, SignalROutputConverter) and sends the items with signalr.HubClient.Apply.
func (h *Host) applySignalR(ctx context.Context, b bindings.Binding, v json.RawMessage) error {
	v = bytes.TrimSpace(v)
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		if b.DataType != "binary" && bindings.IsBase64(s) {
			return errors.New("the value is a string that is valid base64, which the host turns into bytes; the signalR binding cannot take bytes (send objects)")
		}
		t := bytes.TrimSpace([]byte(s))
		if !json.Valid(t) {
			return errors.New("the value is a string that is not JSON; the signalR binding takes message or group action objects")
		}
		v = t
	}
	var items []json.RawMessage
	if v[0] == '[' {
		if err := json.Unmarshal(v, &items); err != nil {
			return err
		}
	} else {
		items = []json.RawMessage{v}
	}
	actions := make([]signalr.Action, 0, len(items))
	for i, item := range items {
		a, err := convertItem(item)
		if err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		actions = append(actions, a)
	}
	svc, err := h.service(b)
	if err != nil {
		return err
	}
	return svc.apply(ctx, b.HubName, actions...)
}

// convertItem is the extension's SignalROutputConverter: an object with a string target and
// an array of arguments is a message, else an object with an action is a group action.
func convertItem(item json.RawMessage) (signalr.Action, error) {
	item = bytes.TrimSpace(item)
	if len(item) == 0 || item[0] != '{' {
		return nil, errors.New("not a JSON object: the collector receives null and fails with \"Value cannot be null. (Parameter 'item')\"")
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(item, &props); err != nil {
		return nil, err
	}
	get := func(name string) json.RawMessage {
		for k, v := range props {
			if strings.EqualFold(k, name) {
				return bytes.TrimSpace(v)
			}
		}
		return nil
	}
	target, args := get("target"), get("arguments")
	if len(target) > 0 && target[0] == '"' && len(args) > 0 && args[0] == '[' {
		var m signalr.Message
		if err := json.Unmarshal(item, &m); err != nil {
			return nil, err
		}
		return m, nil
	}
	if action := get("action"); len(action) > 0 && !isNull(action) {
		var a signalr.GroupAction
		if err := json.Unmarshal(item, &a); err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, errors.New("Unable to convert JObject to valid output binding type: expected a message {target, arguments} or a group action {action, …}")
}

// writeHTTPOutput answers the caller from the function's http output, with the host's rules
// for named outputs and for $return.
func (h *Host) writeHTTPOutput(w http.ResponseWriter, fn bindings.Function, res *result) error {
	out, ok := fn.Find(bindings.TypeHTTP, bindings.DirectionOut)
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if out.Name == bindings.ReturnBindingName {
		return writeReturnHTTP(w, res.returnValue)
	}
	v, ok := res.outputs[out.Name]
	if !ok || isNull(v) {
		// The host builds an empty response object: 200 with body {}.
		writeResponse(w, http.StatusOK, nil, "{}")
		return nil
	}
	v = bytes.TrimSpace(v)
	if v[0] == '"' {
		var s string
		_ = json.Unmarshal(v, &s)
		v = bytes.TrimSpace([]byte(s))
	}
	var obj map[string]json.RawMessage
	if len(v) == 0 || v[0] != '{' || json.Unmarshal(v, &obj) != nil {
		return fmt.Errorf("http output %q is not a JSON object; expected {\"statusCode\":…,\"headers\":{…},\"body\":…}", out.Name)
	}
	status := http.StatusOK
	if sc := field(obj, "statusCode"); !isNull(sc) {
		n, err := strconv.Atoi(scalarText(sc))
		if err != nil || n < 100 || n > 999 {
			return fmt.Errorf("http output %q has statusCode %s; expected a number", out.Name, sc)
		}
		status = n
	}
	headers, err := outputHeaders(field(obj, "headers"))
	if err != nil {
		return fmt.Errorf("http output %q: %w", out.Name, err)
	}
	writeResponse(w, status, headers, bodyText(field(obj, "body"), true))
	return nil
}

// writeReturnHTTP is HttpBinding.CreateResult for a $return value: statusCode, status and
// headers count only when the object has a body key; otherwise the value is the body.
func writeReturnHTTP(w http.ResponseWriter, v json.RawMessage) error {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if v[0] == '"' {
		var s string
		_ = json.Unmarshal(v, &s)
		t := bytes.TrimSpace([]byte(s))
		if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
			writeResponse(w, http.StatusOK, nil, s)
			return nil
		}
		v = t
	}
	var obj map[string]json.RawMessage
	if v[0] != '{' || json.Unmarshal(v, &obj) != nil || field(obj, "body") == nil {
		compact, _ := reencode(v, false)
		writeResponse(w, http.StatusOK, map[string]string{"Content-Type": "application/json; charset=utf-8"}, string(compact))
		return nil
	}
	status := http.StatusOK
	for _, name := range []string{"statusCode", "status"} {
		if sc := field(obj, name); !isNull(sc) {
			if n, err := strconv.Atoi(scalarText(sc)); err == nil {
				status = n
				break
			}
		}
	}
	headers, err := outputHeaders(field(obj, "headers"))
	if err != nil {
		return fmt.Errorf("$return: %w", err)
	}
	writeResponse(w, status, headers, bodyText(field(obj, "body"), false))
	return nil
}

func field(obj map[string]json.RawMessage, name string) json.RawMessage {
	if v, ok := obj[name]; ok {
		return v
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// outputHeaders copies headers with value.ToString(): non-strings become their text, and a
// null Content-Type fails as in the host.
func outputHeaders(raw json.RawMessage) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("headers is not a JSON object")
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if isNull(v) {
			if strings.EqualFold(k, "Content-Type") {
				return nil, errors.New("header Content-Type is null")
			}
			continue
		}
		out[k] = scalarText(v)
	}
	return out, nil
}

// bodyText writes a body as the host does: strings verbatim, objects indented (named outputs)
// or compact ($return).
func bodyText(raw json.RawMessage, indent bool) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case isNull(raw):
		return ""
	case raw[0] == '{' || raw[0] == '[':
		b, err := reencode(raw, indent)
		if err != nil {
			return string(raw)
		}
		return string(b)
	}
	return scalarText(raw)
}

func writeResponse(w http.ResponseWriter, status int, headers map[string]string, body string) {
	hasType := false
	for k, v := range headers {
		w.Header().Set(k, v)
		hasType = hasType || strings.EqualFold(k, "Content-Type")
	}
	if !hasType {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
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

// fail answers a caller whose invocation failed, as the host does: 500 and no details.
func (h *Host) fail(w http.ResponseWriter, function string, err error) {
	h.logger.Error("bindingstest: function failed", "function", function, "error", err.Error())
	w.WriteHeader(http.StatusInternalServerError)
}
