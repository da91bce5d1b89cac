package fakehost

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/bindings/internal/route"
	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	svcint "github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/negotiate"
)

// bdKind is what a binding data value is, which decides how binding expressions look into it.
type bdKind uint8

const (
	bdText   bdKind = iota // a .NET string or number: {name} is its text
	bdNull                 // null: left out of Metadata, {name} is ""
	bdObject               // a JObject: {name.member} matches members ignoring case
	bdDict                 // an IDictionary<string,string>: members matched by its own comparer
	bdSys                  // SystemBindingData: MethodName, UtcNow, RandGuid
)

// bdEntry is one binding data value.
type bdEntry struct {
	key  string
	kind bdKind
	// wire is the Metadata value as the host writes it; nil leaves the key out.
	wire []byte
	text string          // bdText
	obj  json.RawMessage // bdObject
	dict []kv            // bdDict
	// caseSensitive says dict lookups match names exactly: true for Query, built with
	// ToDictionary's default comparer (HttpRequestExtensions.cs GetQueryParameterDictionary).
	caseSensitive bool
	sys           sysData
}

type kv struct{ k, v string }

type sysData struct{ methodName, utcNow, utcNowExpr, randGUID string }

// bindingData is the trigger's binding data: what binding expressions resolve against, and
// (minus the trigger value and nulls) the invocation's Metadata. Keys are unique ignoring case,
// in insertion order, like the host's Dictionary(StringComparer.OrdinalIgnoreCase).
type bindingData struct{ entries []*bdEntry }

func (d *bindingData) find(k string) *bdEntry {
	for _, e := range d.entries {
		if strings.EqualFold(e.key, k) {
			return e
		}
	}
	return nil
}

// set is dictionary[key] = value: a key equal ignoring case keeps its spelling and place and
// takes the new value.
func (d *bindingData) set(e *bdEntry) {
	if old := d.find(e.key); old != nil {
		key := old.key
		*old = *e
		old.key = key
		return
	}
	d.entries = append(d.entries, e)
}

// addIfAbsent adds e unless the key is taken (the host's ContainsKey checks).
func (d *bindingData) addIfAbsent(e *bdEntry) {
	if d.find(e.key) == nil {
		d.entries = append(d.entries, e)
	}
}

// appendMetadata writes Metadata: every entry but nulls and keys ending in "trigger", which
// the host leaves out (ScriptInvocationContextExtensions.cs ToHttpScriptInvocationContext).
func (d *bindingData) appendMetadata(b []byte) []byte {
	b = append(b, '{')
	n := 0
	for _, e := range d.entries {
		if e.wire == nil || (len(e.key) >= 7 && strings.EqualFold(e.key[len(e.key)-7:], "trigger")) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = appendNString(b, e.key)
		b = append(b, ':')
		b = append(b, e.wire...)
		n++
	}
	return append(b, '}')
}

func textEntry(k, text string) *bdEntry {
	return &bdEntry{key: k, kind: bdText, text: text, wire: serializedString(text)}
}

func dictEntry(k string, m []kv, caseSensitive bool) *bdEntry {
	var o object
	for _, p := range m {
		o.add(p.k, appendNString(nil, p.v))
	}
	return &bdEntry{key: k, kind: bdDict, dict: m, caseSensitive: caseSensitive, wire: o.bytes()}
}

// Identities as the host serializes ClaimsIdentity (HttpRequestExtensions.cs
// GetUserIdentitiesAsJArray). A call without a valid key, on a function that needs none, carries
// ASP.NET Core's empty identity (spec §8.1, captured from `func start`).
const (
	anonymousIdentity = `{"AuthenticationType":null,"IsAuthenticated":false,"Actor":null,"BootstrapContext":null,"Claims":[],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}`
	identityTail      = `],"Label":null,"Name":null,"NameClaimType":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name","RoleClaimType":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}`
)

// keyIdentity is the identity AuthenticationLevelHandler.cs builds for a valid key: the level,
// the invoke claim and the key's name. A claim's Subject is the identity being written, a
// reference loop Newtonsoft leaves out (ReferenceLoopHandling.Ignore).
func keyIdentity(level, keyName string) []byte {
	b := []byte(`{"AuthenticationType":"WebJobsAuthLevel","IsAuthenticated":true,"Actor":null,"BootstrapContext":null,"Claims":[`)
	claim := func(typ, value string) {
		b = append(b, `{"Issuer":"LOCAL AUTHORITY","OriginalIssuer":"LOCAL AUTHORITY","Properties":{},"Type":`...)
		b = appendNString(b, typ)
		b = append(b, `,"Value":`...)
		b = appendNString(b, value)
		b = append(b, `,"ValueType":"http://www.w3.org/2001/XMLSchema#string"}`...)
	}
	claim("http://schemas.microsoft.com/2017/07/functions/claims/authlevel", level)
	b = append(b, ',')
	claim("http://schemas.microsoft.com/2017/07/functions/claims/invoke", "true")
	if keyName != "" {
		b = append(b, ',')
		claim("http://schemas.microsoft.com/2017/07/functions/claims/keyid", keyName)
	}
	return append(b, identityTail...)
}

// queryParam is one query parameter as ASP.NET Core's QueryCollection holds it: names merged
// ignoring case (the first spelling kept), values in order.
type queryParam struct {
	key    string
	values []string
}

// parseQuery is QueryHelpers.ParseQuery: '&'-separated pairs, '+' as space, percent escapes
// decoded (invalid ones kept as written), first-appearance order.
func parseQuery(raw string) []queryParam {
	raw = strings.TrimPrefix(raw, "?")
	var out []queryParam
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		found := false
		for i := range out {
			if strings.EqualFold(out[i].key, k) {
				out[i].values = append(out[i].values, v)
				found = true
				break
			}
		}
		if !found {
			out = append(out, queryParam{key: k, values: []string{v}})
		}
	}
	return out
}

func unescapeQuery(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if !strings.Contains(s, "%") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// httpCall is what the host knows of one HTTP-triggered call.
type httpCall struct {
	r       *http.Request
	body    []byte
	fields  []headerField
	query   []queryParam
	params  []kv     // matched route values, in template order
	nulls   []string // optional route values the request left out
	ident   []byte   // the Identities array
	hasBody bool     // Content-Length > 0: the host reads the body only then
}

// triggerValue is HttpRequestExtensions.GetRequestAsJObject.
func (c *httpCall) triggerValue() []byte {
	r := c.r
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" || r.URL.ForceQuery {
		u += "?" + r.URL.RawQuery
	}
	var o object
	o.add("Url", appendNString(nil, u))
	o.add("Method", appendNString(nil, r.Method))
	// GetQueryCollectionAsDictionary: StringValues.ToString joins repeated values with ','.
	var q object
	for _, p := range c.query {
		q.add(p.key, appendNString(nil, strings.Join(p.values, ",")))
	}
	o.add("Query", q.bytes())
	var h object
	for _, f := range c.fields {
		v := []byte{'['}
		for i, s := range f.values {
			if i > 0 {
				v = append(v, ',')
			}
			v = appendNString(v, s)
		}
		h.add(f.name, append(v, ']'))
	}
	o.add("Headers", h.bytes())
	// FunctionInvocationMiddleware.cs PopulateRouteData: always present, optional values the
	// request left out as null (spec §8.1).
	var p object
	for _, x := range c.params {
		p.add(x.k, appendNString(nil, x.v))
	}
	for _, k := range c.nulls {
		p.add(k, []byte("null"))
	}
	o.add("Params", p.bytes())
	o.add("Identities", c.ident)
	if c.hasBody {
		if binaryMediaType(r.Header.Get("Content-Type")) {
			o.add("Body", appendNString(nil, base64.StdEncoding.EncodeToString(c.body)))
		} else {
			o.add("Body", appendNString(nil, string(c.body)))
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

// bindingData is HttpTriggerAttributeBindingProvider.GetRequestBindingData (spec §8.2): the
// top-level properties of a JSON object body, the query parameters but code (last value wins),
// the route values, Query (last value wins, code kept) and Headers (values comma-joined), each
// set with dictionary[key] = value so a later source overwrites an earlier one.
func (c *httpCall) bindingData() *bindingData {
	d := &bindingData{}
	if c.hasBody {
		addBodyProperties(d, c.body)
	}
	for _, p := range c.query {
		if !strings.EqualFold(p.key, "code") {
			d.set(textEntry(p.key, p.values[len(p.values)-1]))
		}
	}
	for _, p := range c.params {
		d.set(textEntry(p.k, p.v))
	}
	for _, k := range c.nulls {
		d.set(&bdEntry{key: k, kind: bdNull})
	}
	q := make([]kv, len(c.query))
	for i, p := range c.query {
		q[i] = kv{p.key, p.values[len(p.values)-1]}
	}
	d.addIfAbsent(dictEntry("Query", q, true))
	h := make([]kv, len(c.fields))
	for i, f := range c.fields {
		h[i] = kv{f.name, strings.Join(f.values, ",")}
	}
	d.addIfAbsent(dictEntry("Headers", h, false))
	return d
}

// addBodyProperties is Utility.ApplyBindingData (HTTPX Utility.cs): each top-level property of
// a JSON object body becomes binding data, objects as objects and every scalar as the .NET
// string (string)JToken makes of it, serialized again: {"n":2,"ok":true} gives "\"2\"" and
// "\"True\"". Arrays and nulls are skipped. A body that does not parse adds nothing.
func addBodyProperties(d *bindingData, body []byte) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) < 2 || trimmed[0] != '{' || trimmed[len(trimmed)-1] != '}' || !json.Valid(trimmed) {
		return
	}
	_ = jsonwire.EachMember(trimmed, func(k string, v json.RawMessage) error {
		v = bytes.TrimSpace(v)
		switch {
		case v[0] == '{':
			if wire, err := reencode(v, false); err == nil {
				d.set(&bdEntry{key: k, kind: bdObject, obj: v, wire: wire})
			}
		case v[0] == '[':
		default:
			if s, ok := dotnetString(v); ok {
				d.set(textEntry(k, s))
			}
		}
		return nil
	})
}

// addSys adds the system binding data (SDK SystemBindingData).
func (h *Host) addSys(d *bindingData, function string) {
	now := h.opts.Now().UTC()
	s := sysData{methodName: function, utcNow: formatDateTime(now), utcNowExpr: now.Format("2006-01-02T15-04-05Z"), randGUID: h.opts.NewGUID()}
	var o object
	o.add("MethodName", appendNString(nil, s.methodName))
	o.add("UtcNow", appendNString(nil, s.utcNow))
	o.add("RandGuid", appendNString(nil, s.randGUID))
	d.addIfAbsent(&bdEntry{key: "sys", kind: bdSys, sys: s, wire: o.bytes()})
}

// resolve evaluates a binding expression: %AppSetting%, then {name} and {name.member…}
// (BindingTemplateToken.cs), failing with the host's messages.
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
			v, err := h.lookup(expr[i+1:i+end], d)
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

// lookup evaluates one {a.b.c} expression as ExpressionToken.Evaluate does: the first part
// in the binding data (ignoring case) or a builtin, then each member through the value's own
// lookup: JObject members ignoring case, Query exactly, Headers ignoring case.
func (h *Host) lookup(path string, d *bindingData) (string, error) {
	parts := strings.Split(path, ".")
	var e *bdEntry
	if d != nil {
		e = d.find(parts[0])
	}
	if e == nil {
		switch {
		case strings.EqualFold(path, "rand-guid"):
			return h.opts.NewGUID(), nil
		case strings.EqualFold(path, "datetime"):
			return h.opts.Now().UTC().Format("2006-01-02T15-04-05Z"), nil
		}
		return "", fmt.Errorf("No value for named parameter '%s'.", parts[0])
	}
	if len(parts) == 1 {
		if e.kind == bdText {
			return e.text, nil
		}
		// Objects and dictionaries convert to no string (BindingDataPathHelper.cs), which the
		// template writes as nothing.
		return "", nil
	}
	missing := func(p string) error {
		return fmt.Errorf("Error while accessing '%s': property doesn't exist.", p)
	}
	switch e.kind {
	case bdDict:
		if len(parts) > 2 {
			return "", missing(parts[2])
		}
		for _, p := range e.dict {
			if p.k == parts[1] || (!e.caseSensitive && strings.EqualFold(p.k, parts[1])) {
				return p.v, nil
			}
		}
		return "", missing(parts[1])
	case bdSys:
		if len(parts) > 2 {
			return "", missing(parts[2])
		}
		switch strings.ToLower(parts[1]) {
		case "methodname":
			return e.sys.methodName, nil
		case "utcnow":
			return e.sys.utcNowExpr, nil
		case "randguid":
			return e.sys.randGUID, nil
		}
		return "", missing(parts[1])
	case bdObject:
		cur := e.obj
		for _, p := range parts[1:] {
			next, ok := member(cur, p)
			if !ok {
				return "", missing(p)
			}
			cur = next
		}
		s, ok := dotnetString(cur)
		if !ok {
			return "", nil
		}
		return s, nil
	}
	return "", missing(parts[1])
}

// member finds a JObject member ignoring case.
func member(obj json.RawMessage, name string) (json.RawMessage, bool) {
	obj = bytes.TrimSpace(obj)
	if len(obj) == 0 || obj[0] != '{' {
		return nil, false
	}
	var found json.RawMessage
	exact := false
	_ = jsonwire.EachMember(obj, func(k string, v json.RawMessage) error {
		switch {
		case k == name:
			found, exact = v, true
		case !exact && found == nil && strings.EqualFold(k, name):
			found = v
		}
		return nil
	})
	return found, found != nil
}

// negotiateRequest resolves what a signalRConnectionInfo or signalRNegotiation input mints
// with: the hub, the token options, then the negotiator of the binding's connection setting.
func (h *Host) negotiateRequest(b manifest.Binding, d *bindingData) (*negotiate.Negotiator, string, *negotiate.Options, error) {
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
func (h *Host) connectionInfo(ctx context.Context, b manifest.Binding, d *bindingData) ([]byte, error) {
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
func (h *Host) negotiation(ctx context.Context, b manifest.Binding, d *bindingData) ([]byte, error) {
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
func (h *Host) endpointsValue(b manifest.Binding) ([]byte, error) {
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
// declaration order (WorkerFunctionInvoker.cs).
func (h *Host) payload(ctx context.Context, fn manifest.Function, trigger []byte, d *bindingData) ([]byte, error) {
	var data object
	for _, b := range fn.Bindings {
		if b.Direction != manifest.DirectionIn && b.Direction != manifest.DirectionInOut {
			continue
		}
		switch {
		case b.IsTrigger():
			data.add(b.Name, trigger)
		case b.Is(manifest.TypeSignalRConnectionInfo):
			v, err := h.connectionInfo(ctx, b, d)
			if err != nil {
				return nil, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			data.add(b.Name, v)
		case b.Is(manifest.TypeSignalRNegotiation):
			v, err := h.negotiation(ctx, b, d)
			if err != nil {
				return nil, fmt.Errorf("binding %s: %w", b.Name, err)
			}
			data.add(b.Name, v)
		case b.Is(manifest.TypeSignalREndpoints):
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
	out = d.appendMetadata(out)
	return append(out, '}'), nil
}

// routeValues splits a function's route values as PopulateRouteData records them: the matched
// values in template order, then the optional parameters without a default that the request
// left out.
func routeValues(fn manifest.Function, matched map[string]string) ([]kv, []string) {
	t, err := route.Parse(fn.RouteTemplate())
	if err != nil {
		return nil, nil
	}
	var values []kv
	for _, name := range t.Params() {
		if v, ok := matched[name]; ok {
			values = append(values, kv{name, v})
		}
	}
	var nulls []string
	for _, name := range t.OptionalParams() {
		if _, ok := matched[name]; !ok {
			nulls = append(nulls, name)
		}
	}
	return values, nulls
}
