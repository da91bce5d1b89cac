package bindingstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// serveWebhook turns an upstream call from SignalR Service into a signalRTrigger invocation,
// answering with the extension's statuses: 415 for a body that is neither JSON nor
// MessagePack, 400 for missing routing headers, 404 when no function matches (hub, category,
// event), 401 for a bad signature, 403 when a connected function fails, 500 when another one
// fails, and a Completion for invoke() calls (the function's ReturnValue, or its error).
func (h *Host) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "upstream requests use POST", http.StatusMethodNotAllowed)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != trigger.ContentTypeJSON && mt != trigger.ContentTypeMessagePack {
		http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
		return
	}
	hub, category, event := r.Header.Get(trigger.HeaderHub), r.Header.Get(trigger.HeaderCategory), r.Header.Get(trigger.HeaderEvent)
	if r.Header.Get(trigger.HeaderConnectionID) == "" || hub == "" || category == "" || event == "" {
		http.Error(w, "missing upstream headers", http.StatusBadRequest)
		return
	}
	fn, b, ok := h.matchTrigger(hub, category, event)
	if !ok {
		http.Error(w, fmt.Sprintf("no function for hub %q, category %q, event %q", hub, category, event), http.StatusNotFound)
		return
	}
	svc, err := h.service(b)
	if err != nil {
		h.fail(w, fn.Name, err)
		return
	}
	// As the extension, signatures are checked with the connections' access keys; an
	// identity-based connection has none, and then nothing is checked.
	inv, err := trigger.Parse(r, &trigger.ParseOptions{Client: svc.client, InsecureSkipSignature: svc.skipSignature})
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, trigger.ErrInvalidSignature):
			status = http.StatusUnauthorized
		case errors.Is(err, trigger.ErrUnsupportedContentType):
			status = http.StatusUnsupportedMediaType
		case errors.Is(err, trigger.ErrTooLarge):
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, err.Error(), status)
		return
	}
	id := h.opts.NewGUID()
	result, herr := h.runTrigger(r, fn, b, inv, id)
	if err := inv.WriteResponse(w, result, herr); err != nil {
		h.logger.Error("bindingstest: writing the upstream response", "function", fn.Name, "error", err.Error())
	}
}

func (h *Host) runTrigger(r *http.Request, fn bindings.Function, b bindings.Binding, inv *trigger.Invocation, id string) (any, error) {
	d := newBindingData()
	if len(b.ParameterNames) > 0 && len(b.ParameterNames) != len(inv.Arguments) {
		err := fmt.Errorf("function %s declares %d parameterNames but the invocation has %d arguments", fn.Name, len(b.ParameterNames), len(inv.Arguments))
		h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
		h.logger.Error("bindingstest: invocation failed", "function", fn.Name, "error", err.Error())
		return nil, err
	}
	for i, name := range b.ParameterNames {
		if err := addArgument(d, name, inv.Arguments[i]); err != nil {
			return nil, err
		}
	}
	h.addSys(d, fn.Name)
	payload, err := h.payload(r.Context(), fn, invocationContextValue(&inv.InvocationContext), d)
	if err != nil {
		h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
		return nil, err
	}
	res, err := h.invoke(r.Context(), fn, id, payload)
	if err != nil {
		return nil, err
	}
	if err := h.applyOutputs(r.Context(), fn, res); err != nil {
		h.markFailed(id, err)
		h.logger.Error("bindingstest: function failed", "function", fn.Name, "error", err.Error())
		return nil, err
	}
	if len(res.returnValue) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(res.returnValue, &v); err != nil {
		return nil, err
	}
	return wholeNumbers(v), nil
}

// matchTrigger finds the function triggered by (hub, category, event), ignoring case.
func (h *Host) matchTrigger(hub, category, event string) (bindings.Function, bindings.Binding, bool) {
	for _, fn := range h.manifest.Functions {
		b, ok := fn.Trigger()
		if !ok || !b.Is(bindings.TypeSignalRTrigger) {
			continue
		}
		name, err := h.resolve(b.HubName, nil)
		if err != nil {
			name = b.HubName
		}
		if strings.EqualFold(name, hub) && strings.EqualFold(b.Category, category) && strings.EqualFold(b.Event, event) {
			return fn, b, true
		}
	}
	return bindings.Function{}, bindings.Binding{}, false
}

// addArgument adds a trigger argument under its parameter name, converted as the host converts
// binding data.
func addArgument(d *bindingData, name string, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil
	}
	compact, err := reencode(raw, false)
	if err != nil {
		return err
	}
	switch raw[0] {
	case '{':
		d.meta.add(name, compact)
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		d.addScalar(name, s, compact)
	default:
		d.addScalar(name, string(compact), compact)
	}
	return nil
}

// invocationContextValue is JObject.FromObject(InvocationContext): PascalCase, the class's
// member order, nulls kept.
func invocationContextValue(c *trigger.InvocationContext) []byte {
	var o object
	if c.Arguments == nil {
		o.add("Arguments", []byte("null"))
	} else {
		b := []byte{'['}
		for i, a := range c.Arguments {
			if i > 0 {
				b = append(b, ',')
			}
			if enc, err := reencode(a, false); err == nil {
				b = append(b, enc...)
			} else {
				b = append(b, "null"...)
			}
		}
		o.add("Arguments", append(b, ']'))
	}
	str := func(s string) []byte {
		if s == "" {
			return []byte("null")
		}
		return appendNString(nil, s)
	}
	dict := func(m map[string]string) []byte {
		if m == nil {
			return []byte("null")
		}
		return stringDict(m)
	}
	o.add("Error", str(c.Error))
	o.add("Category", str(c.Category))
	o.add("Event", str(c.Event))
	o.add("Hub", str(c.Hub))
	o.add("ConnectionId", str(c.ConnectionID))
	o.add("UserId", str(c.UserID))
	o.add("Headers", dict(c.Headers))
	o.add("Query", dict(c.Query))
	o.add("Claims", dict(c.Claims))
	return o.bytes()
}

// wholeNumbers turns integral float64s into int64, so a return value of 3 reaches a
// MessagePack client as an integer, as it would from the extension.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case []any:
		for i := range x {
			x[i] = wholeNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = wholeNumbers(x[k])
		}
	}
	return v
}
