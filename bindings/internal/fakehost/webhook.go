package fakehost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// Upstream header names in their canonical net/http form.
const (
	hdrConnectionID = "X-Asrs-Connection-Id"
	hdrHub          = "X-Asrs-Hub"
	hdrCategory     = "X-Asrs-Category"
	hdrEvent        = "X-Asrs-Event"
	hdrUserID       = "X-Asrs-User-Id"
	hdrClaims       = "X-Asrs-User-Claims"
	hdrQuery        = "X-Asrs-Client-Query"
	hdrSignature    = "X-Asrs-Signature"
)

// serveWebhook turns an upstream call from SignalR Service into a signalRTrigger invocation,
// step for step as the extension (SignalRTriggerDispatcher.cs, SignalRRequestResolver.cs and the
// executors, spec §8.5), answering with bare statuses:
//
//   - 500 without a Content-Type; 415 for a media type other than application/json and
//     application/x-msgpack;
//   - 500 when the hub, category or event header is missing, 400 when one is empty;
//   - 404 when no function matches (hub, category, event), ignoring case;
//   - 500 without a connection id, or with a body the event cannot take (read for
//     disconnected, a JSON close message, and messages, an Invocation whose target is the
//     event; never read for connected);
//   - 401 for a bad signature, checked only then;
//   - connected: 403 when the function fails, else 200; disconnected: 200; messages: a
//     Completion without a Content-Type for invoke() (the ReturnValue or the error), 200 for
//     send() whatever happened.
func (h *Host) serveWebhook(w http.ResponseWriter, r *http.Request, raw map[string]string) {
	reject := func(status int, why string) {
		h.logger.Warn("bindingstest: upstream request refused", "status", status, "reason", why)
		w.WriteHeader(status)
	}
	ct := r.Header.Values("Content-Type")
	if len(ct) == 0 {
		reject(http.StatusInternalServerError, "no Content-Type: the extension reads Content.Headers.ContentType.MediaType of null")
		return
	}
	mt, _, _ := strings.Cut(ct[0], ";")
	mt = strings.TrimSpace(mt)
	var proto hubproto.Protocol
	switch mt {
	case trigger.ContentTypeJSON:
		proto = hubproto.JSON
	case trigger.ContentTypeMessagePack:
		proto = hubproto.MessagePack
	default:
		reject(http.StatusUnsupportedMediaType, fmt.Sprintf("media type %.100q", mt))
		return
	}
	hub, okHub := firstHeader(r, hdrHub)
	category, okCat := firstHeader(r, hdrCategory)
	event, okEvent := firstHeader(r, hdrEvent)
	switch {
	case !okHub || !okCat || !okEvent:
		reject(http.StatusInternalServerError, "a routing header is missing: HttpHeaders.GetValues throws")
		return
	case hub == "" || category == "" || event == "":
		reject(http.StatusBadRequest, "a routing header is empty")
		return
	}
	fn, b, ok := h.matchTrigger(hub, category, event)
	if !ok {
		why := fmt.Sprintf("no function for hub %.100q, category %.100q, event %.100q", hub, category, event)
		if h.hooks.Log != nil && strings.EqualFold(category, trigger.CategoryConnections) {
			// Locally the emulator's upstream takes every event, as "*" rules do in Azure, and
			// an app without connection triggers ignores connects: no warning for each.
			h.logger.Debug("bindingstest: upstream request refused", "status", http.StatusNotFound, "reason", why)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		reject(http.StatusNotFound, why)
		return
	}
	connID, _ := firstHeader(r, hdrConnectionID)
	if connID == "" {
		reject(http.StatusInternalServerError, "no connection id")
		return
	}
	ic := invocationContext(r, raw, hub, category, event, connID)
	var invocationID string
	switch {
	case strings.EqualFold(b.Category, trigger.CategoryConnections) && strings.EqualFold(b.Event, trigger.EventConnected):
		// SignalRConnectMethodExecutor never reads the body.
	case strings.EqualFold(b.Category, trigger.CategoryConnections):
		m, err := readUpstreamMessage(r, proto)
		if err == nil && m.Type != hubproto.TypeCloseConnection {
			err = fmt.Errorf("a %v message where a close message (11) was expected", m.Type)
		}
		if err != nil {
			reject(http.StatusInternalServerError, "disconnected body: "+err.Error())
			return
		}
		if m.HasError || m.Error != "" {
			ic.errText = &m.Error
		}
	default:
		m, err := readUpstreamMessage(r, proto)
		switch {
		case err != nil:
		case m.Type != hubproto.TypeInvocation:
			err = fmt.Errorf("a %v message where an Invocation (1) was expected", m.Type)
		case !strings.EqualFold(m.Target, event):
			err = fmt.Errorf("the invocation target %.100q is not the event %.100q", m.Target, event)
		}
		if err != nil {
			reject(http.StatusInternalServerError, "messages body: "+err.Error())
			return
		}
		invocationID = m.InvocationID
		ic.arguments = make([]json.RawMessage, len(m.Arguments))
		for i, a := range m.Arguments {
			j, err := a.JSON()
			if err != nil {
				reject(http.StatusInternalServerError, fmt.Sprintf("argument %d: %v", i, err))
				return
			}
			ic.arguments[i] = j
		}
	}
	svc, err := h.service(b)
	if err != nil {
		reject(http.StatusInternalServerError, err.Error())
		return
	}
	if !svc.skipSignature && !validSignature(r, connID, svcint.AccessKeys(svc.client, nil)) {
		reject(http.StatusUnauthorized, "no X-ASRS-Signature entry matches an access key")
		return
	}
	id := h.opts.NewGUID()
	result, ferr := h.runTrigger(r, fn, b, ic, id)
	switch {
	case strings.EqualFold(b.Category, trigger.CategoryConnections):
		if ferr != nil && strings.EqualFold(b.Event, trigger.EventConnected) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	case invocationID != "":
		m := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: invocationID}
		if ferr != nil {
			m.Error, m.HasError = completionError(ferr), true
		} else {
			m.Result, m.HasResult = hubproto.ValueOf(result), true
		}
		body, err := proto.AppendFrame(nil, &m)
		if err != nil {
			h.logger.Error("bindingstest: encoding the Completion", "function", fn.Name, "error", err.Error())
			m.Result, m.HasResult, m.Error, m.HasError = hubproto.Value{}, false, "Method execution failed.", true
			body, _ = proto.AppendFrame(nil, &m)
		}
		// A ByteArrayContent without a media type; a nil entry keeps net/http from sniffing one.
		w.Header()["Content-Type"] = nil
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// readUpstreamMessage reads and parses an upstream body (MessageParser.GetParser): JSON any
// message type, MessagePack invocations only.
func readUpstreamMessage(r *http.Request, proto hubproto.Protocol) (hubproto.Message, error) {
	body, err := readAll(r.Body, maxRequestBody)
	if err != nil {
		return hubproto.Message{}, err
	}
	m, err := proto.Unmarshal(body)
	if err != nil {
		return hubproto.Message{}, err
	}
	if proto.Binary() && m.Type != hubproto.TypeInvocation {
		return hubproto.Message{}, errors.New("Parsing message failed: the MessagePack serverless protocol reads invocations only")
	}
	return m, nil
}

// firstHeader is HttpHeaders.GetValues(name).First(): the first field line, and whether the
// header is there at all.
func firstHeader(r *http.Request, canonical string) (string, bool) {
	v := r.Header[canonical]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// validSignature is SignalRRequestResolver.ValidateSignature: the first X-ASRS-Signature line,
// split on ',' without trimming, compared ignoring case with "sha256=" + the hex
// HMAC-SHA256(key, connection id) of each key.
func validSignature(r *http.Request, connID string, keys []string) bool {
	sig, ok := firstHeader(r, hdrSignature)
	if !ok {
		return false
	}
	for _, key := range keys {
		if key == "" {
			continue
		}
		want := trigger.Signature(key, connID)
		for entry := range strings.SplitSeq(sig, ",") {
			if entry != "" && strings.EqualFold(entry, want) {
				return true
			}
		}
	}
	return false
}

// upstreamContext is the extension's InvocationContext as SignalRRequestResolver builds it.
type upstreamContext struct {
	arguments                    []json.RawMessage // nil for connection events
	errText                      *string
	category, event, hub, connID string
	userID                       *string
	headers                      []kv
	query, claims                []kv // nil: null
	hasQuery, hasClaims          bool
}

// invocationContext reads the context from the request headers: the first line of each
// X-ASRS-* header, UserId "" when the header is there but empty, Query and Claims null unless
// their header has a value, and Headers the request headers but the content ones, names as the
// caller wrote them, repeated lines joined with ',' (SignalRTriggerUtils.cs).
func invocationContext(r *http.Request, raw map[string]string, hub, category, event, connID string) *upstreamContext {
	c := &upstreamContext{hub: hub, category: category, event: event, connID: connID}
	if v, ok := firstHeader(r, hdrUserID); ok {
		c.userID = &v
	}
	if v, _ := firstHeader(r, hdrQuery); v != "" {
		c.hasQuery = true
		for _, p := range parseQuery(v) {
			c.query = append(c.query, kv{p.key, strings.Join(p.values, ",")})
		}
	}
	if v, _ := firstHeader(r, hdrClaims); v != "" {
		c.hasClaims = true
		c.claims = parseClaims(v)
	}
	for _, f := range requestHeaders(r, raw) {
		if contentHeaders[http.CanonicalHeaderKey(f.name)] {
			continue
		}
		c.headers = append(c.headers, kv{f.name, strings.Join(f.values, ",")})
	}
	return c
}

// parseClaims is SignalRTriggerUtils.GetClaimDictionary: split on ',', then on ": " (empty parts
// dropped), entries with exactly two parts kept, the first value of a type winning.
func parseClaims(header string) []kv {
	out := []kv{}
	for entry := range strings.SplitSeq(header, ",") {
		if entry == "" {
			continue
		}
		var parts []string
		for p := range strings.SplitSeq(entry, ": ") {
			if p != "" {
				parts = append(parts, p)
			}
		}
		if len(parts) != 2 {
			continue
		}
		k := strings.TrimSpace(parts[0])
		seen := false
		for _, x := range out {
			seen = seen || x.k == k
		}
		if !seen {
			out = append(out, kv{k, strings.TrimSpace(parts[1])})
		}
	}
	return out
}

// value is JObject.FromObject(InvocationContext): PascalCase, the class's member order, nulls
// kept.
func (c *upstreamContext) value() []byte {
	var o object
	if c.arguments == nil {
		o.add("Arguments", []byte("null"))
	} else {
		b := []byte{'['}
		for i, a := range c.arguments {
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
	str := func(s *string) []byte {
		if s == nil {
			return []byte("null")
		}
		return appendNString(nil, *s)
	}
	dict := func(present bool, m []kv) []byte {
		if !present {
			return []byte("null")
		}
		var d object
		for _, p := range m {
			d.addAny(p.k, appendNString(nil, p.v))
		}
		return d.bytes()
	}
	o.add("Error", str(c.errText))
	o.add("Category", str(&c.category))
	o.add("Event", str(&c.event))
	o.add("Hub", str(&c.hub))
	o.add("ConnectionId", str(&c.connID))
	o.add("UserId", str(c.userID))
	o.add("Headers", dict(true, c.headers))
	o.add("Query", dict(c.hasQuery, c.query))
	o.add("Claims", dict(c.hasClaims, c.claims))
	return o.bytes()
}

// runTrigger invokes the function for an upstream event and returns its ReturnValue.
func (h *Host) runTrigger(r *http.Request, fn manifest.Function, b manifest.Binding, c *upstreamContext, id string) (result any, err error) {
	ctx, span := h.begin(r.Context(), fn.Name, corelog.ReasonNone, id)
	r = r.WithContext(ctx)
	defer func() { span.End(err) }()
	d := &bindingData{}
	if len(b.ParameterNames) > 0 {
		if len(c.arguments) != len(b.ParameterNames) {
			msg := fmt.Sprintf("The function accept %d arguments but message provided %d.", len(b.ParameterNames), len(c.arguments))
			err := &hostError{err: fmt.Errorf("function %s: %s", fn.Name, msg), inner: msg}
			h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
			h.logFailure("bindingstest: invocation failed", fn.Name, err)
			return nil, err
		}
		for i, name := range b.ParameterNames {
			d.set(argumentEntry(name, c.arguments[i]))
		}
	}
	h.addSys(d, fn.Name)
	payload, err := h.payload(r.Context(), fn, c.value(), d)
	if err != nil {
		err = &hostError{err: err, inner: err.Error()}
		h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
		h.logFailure("bindingstest: invocation failed", fn.Name, err)
		return nil, err
	}
	res, err := h.invoke(r.Context(), fn, id, payload)
	if err != nil {
		return nil, err
	}
	if err := h.applyOutputs(r.Context(), fn, res); err != nil {
		h.markFailed(id, err)
		h.logFailure("bindingstest: function failed", fn.Name, err)
		return nil, err
	}
	if len(res.returnValue) == 0 {
		return nil, nil
	}
	return json.RawMessage(res.returnValue), nil
}

// matchTrigger finds the function triggered by (hub, category, event), ignoring case.
func (h *Host) matchTrigger(hub, category, event string) (manifest.Function, manifest.Binding, bool) {
	for _, fn := range h.manifest.Functions {
		b, ok := fn.Trigger()
		if !ok || !b.Is(manifest.TypeSignalRTrigger) {
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
	return manifest.Function{}, manifest.Binding{}, false
}

// argumentEntry is one parameterNames value: the argument as the extension parsed it, which the
// host converts like any binding data (objects as objects, anything else serialized again); a
// null argument is left out of Metadata (spec §8.5).
func argumentEntry(name string, raw json.RawMessage) *bdEntry {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return &bdEntry{key: name, kind: bdNull}
	}
	compact, err := reencode(raw, false)
	if err != nil {
		return &bdEntry{key: name, kind: bdNull}
	}
	switch raw[0] {
	case '{':
		return &bdEntry{key: name, kind: bdObject, obj: raw, wire: compact}
	case '[':
		return &bdEntry{key: name, kind: bdText, wire: appendNString(nil, string(compact))}
	}
	text, _ := dotnetString(raw)
	return &bdEntry{key: name, kind: bdText, text: text, wire: appendNString(nil, string(compact))}
}
