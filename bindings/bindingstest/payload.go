package bindingstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/negotiate"
)

// bindingData is the trigger's binding data: what binding expressions resolve against, and
// (minus the trigger value) the invocation's Metadata. Keys are unique ignoring case.
type bindingData struct {
	meta  object                       // wire form, in Metadata order
	plain map[string]string            // lowercased key -> scalar value for {key}
	dicts map[string]map[string]string // lowercased key -> dictionary for {key.name}
}

func newBindingData() *bindingData {
	return &bindingData{plain: map[string]string{}, dicts: map[string]map[string]string{}}
}

// addScalar adds a string, number or bool value: the host serializes it a second time.
func (d *bindingData) addScalar(k, text string, wire []byte) {
	if d.meta.has(k) {
		return
	}
	d.meta.add(k, appendNString(nil, string(wire)))
	d.plain[strings.ToLower(k)] = text
}

func (d *bindingData) addDict(k string, m map[string]string, wire []byte) {
	if d.meta.has(k) {
		return
	}
	d.meta.add(k, wire)
	d.dicts[strings.ToLower(k)] = m
}

// localIdentity is what `func start` puts in Identities: the host's key authentication marks
// every local caller as admin.
const localIdentity = `[{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Actor":null,"BootstrapContext":null,"Claims":[{"Issuer":"LOCAL AUTHORITY","OriginalIssuer":"LOCAL AUTHORITY","Properties":{},"Subject":null,"Type":"http://schemas.microsoft.com/2017/07/functions/claims/authlevel","Value":"Admin","ValueType":"http://www.w3.org/2001/XMLSchema#string"}],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}]`

// stringDict writes {name: value} in key order.
func stringDict(m map[string]string) []byte {
	var o object
	for _, k := range sortedKeys(m) {
		o.add(k, appendNString(nil, m[k]))
	}
	return o.bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// requestHeaders is the request's headers as ASP.NET Core holds them: Host and Content-Length
// included.
func requestHeaders(r *http.Request) http.Header {
	hdr := r.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if r.Host != "" {
		hdr.Set("Host", r.Host)
	}
	if r.ContentLength > 0 && hdr.Get("Content-Length") == "" {
		hdr.Set("Content-Length", strconv.FormatInt(r.ContentLength, 10))
	}
	return hdr
}

// queryDict is GetQueryCollectionAsDictionary: repeated keys comma-joined.
func queryDict(r *http.Request) map[string]string {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = strings.Join(v, ",")
	}
	return q
}

// httpTriggerValue is HttpRequestExtensions.GetRequestAsJObject.
func httpTriggerValue(r *http.Request, body []byte, params map[string]string) []byte {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	var o object
	o.add("Url", appendNString(nil, u))
	o.add("Method", appendNString(nil, r.Method))
	o.add("Query", stringDict(queryDict(r)))
	hdr := requestHeaders(r)
	var ho object
	for _, k := range sortedKeys(hdr) {
		b := []byte{'['}
		for i, v := range hdr[k] {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNString(b, v)
		}
		ho.add(k, append(b, ']'))
	}
	o.add("Headers", ho.bytes())
	o.add("Params", stringDict(params))
	o.add("Identities", []byte(localIdentity))
	if r.ContentLength > 0 {
		// The host reads the body only when Content-Length says there is one, so chunked
		// uploads arrive without Body.
		if binaryMediaType(r.Header.Get("Content-Type")) {
			o.add("Body", appendNString(nil, base64.StdEncoding.EncodeToString(body)))
		} else {
			o.add("Body", appendNString(nil, string(body)))
		}
	}
	return o.bytes()
}

func binaryMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/octet-stream" || strings.HasPrefix(mt, "multipart/")
}

// httpBindingData is HttpTriggerAttributeBindingProvider.GetRequestBindingDataAsync: top-level
// properties of a JSON object body, query parameters but code, route values, Query, Headers.
func httpBindingData(r *http.Request, body []byte, params map[string]string) *bindingData {
	d := newBindingData()
	if r.ContentLength > 0 {
		addBodyProperties(d, body)
	}
	q := queryDict(r)
	for _, k := range sortedKeys(q) {
		if !strings.EqualFold(k, "code") {
			d.addScalar(k, q[k], appendNString(nil, q[k]))
		}
	}
	for _, k := range sortedKeys(params) {
		d.addScalar(k, params[k], appendNString(nil, params[k]))
	}
	d.addDict("Query", q, stringDict(q))
	hdr := requestHeaders(r)
	flat := map[string]string{}
	for k, v := range hdr {
		flat[k] = strings.Join(v, ",")
	}
	d.addDict("Headers", flat, stringDict(flat))
	return d
}

func addBodyProperties(d *bindingData, body []byte) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return
	}
	var props map[string]json.RawMessage
	if json.Unmarshal(trimmed, &props) != nil {
		return
	}
	// Newtonsoft keeps document order; encoding/json does not, so the order is recovered
	// from the token stream.
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	_, _ = dec.Token()
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		k := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return
		}
		v := bytes.TrimSpace(props[k])
		if len(v) == 0 {
			continue
		}
		switch v[0] {
		case 'n', '[': // nulls are dropped, arrays are not binding data
		case '{':
			if wire, err := reencode(v, false); err == nil && !d.meta.has(k) {
				d.meta.add(k, wire)
			}
		case '"':
			var s string
			_ = json.Unmarshal(v, &s)
			d.addScalar(k, s, appendNString(nil, s))
		case 't', 'f': // SerializeObject(bool)
			d.addScalar(k, string(v), v)
		default: // numbers, written as SerializeObject writes the long or double
			n := formatNumber(string(v))
			d.addScalar(k, n, []byte(n))
		}
	}
}

// addSys adds the system binding data.
func (h *Host) addSys(d *bindingData, function string) {
	sys := map[string]string{"MethodName": function, "UtcNow": formatDateTime(h.opts.Now()), "RandGuid": h.opts.NewGUID()}
	var o object
	for _, k := range []string{"MethodName", "UtcNow", "RandGuid"} {
		o.add(k, appendNString(nil, sys[k]))
	}
	d.addDict("sys", sys, o.bytes())
}

// resolve evaluates a binding expression: {name}, {dict.key} (headers, query, sys…) and
// %AppSetting%. A missing property fails the invocation, as in the host ("Error while
// accessing 'x': property doesn't exist.").
func (h *Host) resolve(expr string, d *bindingData) (string, error) {
	var out strings.Builder
	for i := 0; i < len(expr); {
		c := expr[i]
		switch c {
		case '{':
			end := strings.IndexByte(expr[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("binding expression %q has an unclosed '{'", expr)
			}
			path := expr[i+1 : i+end]
			v, err := lookup(path, d)
			if err != nil {
				return "", err
			}
			out.WriteString(v)
			i += end + 1
		case '%':
			end := strings.IndexByte(expr[i+1:], '%')
			if end < 0 {
				out.WriteByte(c)
				i++
				continue
			}
			name := expr[i+1 : i+1+end]
			v, ok := h.setting(name)
			if !ok {
				return "", fmt.Errorf("'%%%s%%' does not resolve to a value", name)
			}
			out.WriteString(v)
			i += end + 2
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), nil
}

func lookup(path string, d *bindingData) (string, error) {
	if d == nil {
		return "", fmt.Errorf("no value for named parameter '%s'", path)
	}
	if strings.EqualFold(path, "rand-guid") {
		return newGUID(), nil
	}
	head, rest, dotted := strings.Cut(path, ".")
	if !dotted {
		if v, ok := d.plain[strings.ToLower(head)]; ok {
			return v, nil
		}
		return "", fmt.Errorf("no value for named parameter '%s'", path)
	}
	dict, ok := d.dicts[strings.ToLower(head)]
	if !ok {
		return "", fmt.Errorf("no value for named parameter '%s'", head)
	}
	for k, v := range dict {
		if strings.EqualFold(k, rest) {
			return v, nil
		}
	}
	return "", fmt.Errorf("Error while accessing '%s': property doesn't exist.", rest)
}

// negotiateRequest resolves what a signalRConnectionInfo or signalRNegotiation input mints
// with: the hub, the token options, then the negotiator of the binding's connection setting.
func (h *Host) negotiateRequest(b bindings.Binding, d *bindingData) (*negotiate.Negotiator, string, *negotiate.Options, error) {
	hub, err := h.resolve(b.HubName, d)
	if err != nil {
		return nil, "", nil, err
	}
	opts := &negotiate.Options{}
	if b.UserID != "" {
		if opts.UserID, err = h.resolve(b.UserID, d); err != nil {
			return nil, "", nil, err
		}
	}
	if b.IDToken != "" {
		token, err := h.resolve(b.IDToken, d)
		if err != nil {
			return nil, "", nil, err
		}
		if token != "" {
			// The extension copies the claims of any idToken unverified. Only the header App
			// Service authentication sets (and strips from clients) may name the user here;
			// a token from anything a caller sends itself cannot choose the user id.
			trusted := strings.EqualFold(strings.ReplaceAll(b.IDToken, " ", ""), "{headers."+negotiate.HeaderAADIDToken+"}")
			if opts.Claims, err = negotiate.ClaimsFromIDToken(token, b.ClaimTypeList, &negotiate.IDTokenOptions{TrustedSource: trusted}); err != nil {
				return nil, "", nil, err
			}
		}
	}
	svc, err := h.service(b)
	if err != nil {
		return nil, "", nil, err
	}
	return svc.negotiator, hub, opts, nil
}

// connectionInfo resolves a signalRConnectionInfo input the way the extension does, the
// endpoint chosen by the router when there are several, and encodes it as the host sends it.
func (h *Host) connectionInfo(ctx context.Context, b bindings.Binding, d *bindingData) ([]byte, error) {
	n, hub, opts, err := h.negotiateRequest(b, d)
	if err != nil {
		return nil, err
	}
	info, err := n.Negotiate(ctx, hub, opts)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	return inputValue(raw)
}

// negotiation resolves a signalRNegotiation input: a connection info for every endpoint.
func (h *Host) negotiation(ctx context.Context, b bindings.Binding, d *bindingData) ([]byte, error) {
	n, hub, opts, err := h.negotiateRequest(b, d)
	if err != nil {
		return nil, err
	}
	neg, err := n.NegotiateAll(ctx, hub, opts)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(neg)
	if err != nil {
		return nil, err
	}
	// The extension binds this input to a JObject (a NegotiationContext -> JObject converter,
	// the first default type it offers), which the host sends as a plain object.
	return reencode(raw, false)
}

// endpointsValue resolves a signalREndpoints input: every endpoint with its health.
func (h *Host) endpointsValue(b bindings.Binding) ([]byte, error) {
	svc, err := h.service(b)
	if err != nil {
		return nil, err
	}
	raw := []byte{'['}
	for i, e := range svc.client.Endpoints() {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = svcint.AppendEndpointJSON(raw, string(e.EndpointType), e.Name, e.Endpoint, e.Online)
	}
	// The extension binds this input to a JArray (a ServiceEndpoint[] -> JArray converter);
	// JObject.FromObject refuses an array, so the host sends JsonConvert.SerializeObject of it:
	// the compact JSON text in a string.
	compact, err := reencode(append(raw, ']'), false)
	if err != nil {
		return nil, err
	}
	return serialize(string(compact)), nil
}

// inputValue encodes a signalRConnectionInfo input as the host sends it: the extension's
// indented JSON, serialized as a string, inside the payload (three layers).
func inputValue(raw []byte) ([]byte, error) {
	indented, err := reencode(raw, true)
	if err != nil {
		return nil, err
	}
	return appendNString(nil, string(serialize(string(indented)))), nil
}

// payload assembles {"Data":{…},"Metadata":{…}} with the trigger value first and the inputs in
// declaration order.
func (h *Host) payload(ctx context.Context, fn bindings.Function, trigger []byte, d *bindingData) ([]byte, error) {
	var data object
	for _, b := range fn.Bindings {
		if b.Direction != bindings.DirectionIn && b.Direction != bindings.DirectionInOut {
			continue
		}
		switch {
		case b.IsTrigger():
			data.add(b.Name, trigger)
		case b.Is(bindings.TypeSignalRConnectionInfo):
			v, err := h.connectionInfo(ctx, b, d)
			if err != nil {
				return nil, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			data.add(b.Name, v)
		case b.Is(bindings.TypeSignalRNegotiation):
			v, err := h.negotiation(ctx, b, d)
			if err != nil {
				return nil, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			data.add(b.Name, v)
		case b.Is(bindings.TypeSignalREndpoints):
			v, err := h.endpointsValue(b)
			if err != nil {
				return nil, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			data.add(b.Name, v)
		default:
			return nil, fmt.Errorf("input binding %q of type %s is not emulated by bindingstest", b.Name, b.Type)
		}
	}
	out := append([]byte(`{"Data":`), data.bytes()...)
	out = append(out, `,"Metadata":`...)
	out = d.meta.append(out)
	return append(out, '}'), nil
}
