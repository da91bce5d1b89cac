package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// Upstream request headers (Azure SignalR Service, serverless upstream).
const (
	HeaderConnectionID = "X-ASRS-Connection-Id"
	HeaderHub          = "X-ASRS-Hub"
	HeaderCategory     = "X-ASRS-Category"
	HeaderEvent        = "X-ASRS-Event"
	HeaderUserID       = "X-ASRS-User-Id"
	HeaderUserClaims   = "X-ASRS-User-Claims"
	HeaderClientQuery  = "X-ASRS-Client-Query"
	HeaderSignature    = "X-ASRS-Signature"
)

// Canonical forms of the header names, for direct map access: net/http
// stores keys canonicalized, and Header.Get would canonicalize (and
// allocate) on every call.
var (
	hConnectionID = textproto.CanonicalMIMEHeaderKey(HeaderConnectionID)
	hHub          = textproto.CanonicalMIMEHeaderKey(HeaderHub)
	hCategory     = textproto.CanonicalMIMEHeaderKey(HeaderCategory)
	hEvent        = textproto.CanonicalMIMEHeaderKey(HeaderEvent)
	hUserID       = textproto.CanonicalMIMEHeaderKey(HeaderUserID)
	hUserClaims   = textproto.CanonicalMIMEHeaderKey(HeaderUserClaims)
	hClientQuery  = textproto.CanonicalMIMEHeaderKey(HeaderClientQuery)
	hSignature    = textproto.CanonicalMIMEHeaderKey(HeaderSignature)
)

func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Categories and the two connection events.
const (
	CategoryConnections = "connections"
	CategoryMessages    = "messages"
	EventConnected      = "connected"
	EventDisconnected   = "disconnected"
)

// Content types of upstream bodies, one per hub protocol.
const (
	ContentTypeJSON        = "application/json"
	ContentTypeMessagePack = "application/x-msgpack"
)

// DefaultMaxBodySize caps upstream bodies when no other limit is set: the
// service recommends client messages under 1 MB.
const DefaultMaxBodySize = 1 << 20

// MaxArguments is the most arguments Parse accepts in one invocation; more
// fail with ErrMalformedBody. Hub methods take a handful, and each argument
// costs memory however small its encoding (a MessagePack nil is one byte), so
// without a bound a 1 MB body of nils cost 90 MB. With it, and with large
// MessagePack arguments converted to JSON in one allocation, Parse allocates
// at most about ten times the body.
const MaxArguments = 1024

// ParseOptions configures Parse and, embedded in RouterOptions, a Router.
// A nil *ParseOptions means no access keys, so every request fails
// signature verification until keys are given.
type ParseOptions struct {
	// Client, when set, gives its access keys, those of every endpoint that
	// has one, as read at each request (so AccessKeyCredential.Update
	// applies). Endpoints using Microsoft Entra ID bring no key.
	Client *signalr.Client
	// AccessKeys are further access keys of the service (primary and
	// secondary), such as those of endpoints the application reaches with
	// Microsoft Entra ID. A request is accepted when its signature matches
	// any key.
	AccessKeys []string
	// InsecureSkipSignature turns signature verification off. Only for an
	// endpoint that something else authenticates.
	InsecureSkipSignature bool
	// MaxBodySize caps the request body in bytes; zero or less means
	// DefaultMaxBodySize.
	MaxBodySize int64
}

// keys returns the keys to verify signatures with.
func (o *ParseOptions) keys() []string {
	if o.Client == nil {
		return o.AccessKeys
	}
	return service.AccessKeys(o.Client, slices.Clip(o.AccessKeys))
}

// Invocation is one decoded upstream request.
type Invocation struct {
	InvocationContext
	// InvocationID is the hub invocation id: set when the client used
	// invoke() and waits for a Completion, "" for send() and connection
	// events.
	InvocationID string
	// Protocol is the hub protocol of the request body: "json" or
	// "messagepack". Completions are written in it.
	Protocol string

	proto hubproto.Protocol
	args  []hubproto.Value
	route *route // set by Router
}

// Bind decodes the invocation arguments into dst, in order: pointers to
// typed values, or nil to skip one. JSON and MessagePack arguments decode
// alike, with encoding/json rules. The number of dst values must equal the
// number of arguments; errors are *ArgumentError naming the index.
func (inv *Invocation) Bind(dst ...any) error {
	if inv.args == nil && inv.Arguments != nil {
		return inv.InvocationContext.Bind(dst...)
	}
	return bindValues(inv.args, dst)
}

// IsInvoke reports whether the client waits for a result (it used invoke()).
func (inv *Invocation) IsInvoke() bool { return inv.InvocationID != "" }

// request holds the routing headers, read before the body.
type request struct {
	connID, hub, category, event string
	proto                        hubproto.Protocol
}

// Parse decodes and authenticates one upstream request. It checks, in
// order, as Router does: the connection id header (ErrNotSignalRRequest),
// the content type (ErrUnsupportedContentType), the presence of the hub,
// category and event headers (ErrNotSignalRRequest), the signature
// (ErrInvalidSignature), that the category and event are ones the service
// sends (ErrNotSignalRRequest), then reads at most MaxBodySize bytes
// (ErrTooLarge) and decodes them (ErrMalformedBody, also for more than
// MaxArguments arguments). It consumes r.Body, except for connected, whose
// body the extension never reads; a disconnected body must be the JSON close
// message {"type":11}.
func Parse(r *http.Request, opts *ParseOptions) (*Invocation, error) {
	if opts == nil {
		opts = &ParseOptions{}
	}
	req, err := authenticate(r, opts)
	if err != nil {
		return nil, err
	}
	if err := req.checkKnown(); err != nil {
		return nil, err
	}
	return decode(r, req, opts.MaxBodySize)
}

// authenticate reads the routing headers and checks the signature, before
// anything depends on the hub, category or event: unsigned callers learn
// nothing about them.
func authenticate(r *http.Request, opts *ParseOptions) (request, error) {
	req, err := readRequest(r)
	if err != nil {
		return req, err
	}
	if !opts.InsecureSkipSignature {
		if err := verifySignature(req.connID, r.Header[hSignature], opts.keys()); err != nil {
			return req, err
		}
	}
	return req, nil
}

func readRequest(r *http.Request) (request, error) {
	req := request{connID: first(r.Header, hConnectionID)}
	if req.connID == "" {
		return req, wrapf(ErrNotSignalRRequest, "no %s header", HeaderConnectionID)
	}
	ct := first(r.Header, "Content-Type")
	mt := ct
	if mt != ContentTypeJSON && mt != ContentTypeMessagePack {
		// Parameters or odd case: tolerated, at the price of a full parse.
		mt, _, _ = mime.ParseMediaType(ct)
	}
	switch mt {
	case ContentTypeJSON:
		req.proto = hubproto.JSON
	case ContentTypeMessagePack:
		req.proto = hubproto.MessagePack
	}
	if req.proto == nil {
		return req, wrapf(ErrUnsupportedContentType, "Content-Type %.100q: want %s or %s", ct, ContentTypeJSON, ContentTypeMessagePack)
	}
	req.hub, req.category, req.event = first(r.Header, hHub), first(r.Header, hCategory), first(r.Header, hEvent)
	for _, h := range [...]struct{ name, v string }{{HeaderHub, req.hub}, {HeaderCategory, req.category}, {HeaderEvent, req.event}} {
		if h.v == "" {
			return req, wrapf(ErrNotSignalRRequest, "no %s header", h.name)
		}
	}
	return req, nil
}

// checkKnown rejects categories and connection events the service never
// sends.
func (req *request) checkKnown() error {
	switch {
	case strings.EqualFold(req.category, CategoryMessages):
		req.category = CategoryMessages
	case strings.EqualFold(req.category, CategoryConnections):
		req.category = CategoryConnections
		switch {
		case strings.EqualFold(req.event, EventConnected):
			req.event = EventConnected
		case strings.EqualFold(req.event, EventDisconnected):
			req.event = EventDisconnected
		default:
			return wrapf(ErrNotSignalRRequest, "%s %.100q with category connections: want connected or disconnected", HeaderEvent, req.event)
		}
	default:
		return wrapf(ErrNotSignalRRequest, "%s %.100q: want messages or connections", HeaderCategory, req.category)
	}
	return nil
}

const sigPrefix = "sha256="

// verifySignature accepts the request when any "sha256=<hex>" entry of the
// signature headers equals HMAC-SHA256(key, connectionID) for any key. Hex
// case is irrelevant (it is decoded), and the MACs are compared in constant
// time.
func verifySignature(connID string, headers []string, keys []string) error {
	if len(keys) == 0 {
		return wrapf(ErrInvalidSignature, "no access keys configured: set Client or AccessKeys, or InsecureSkipSignature for an endpoint authenticated otherwise")
	}
	var sigs [4][sha256.Size]byte
	got := sigs[:0]
	for _, h := range headers {
		for entry := range strings.SplitSeq(h, ",") {
			entry = strings.TrimSpace(entry)
			if len(entry) != len(sigPrefix)+2*sha256.Size || !strings.EqualFold(entry[:len(sigPrefix)], sigPrefix) {
				continue
			}
			if sig, ok := decodeHex32(entry[len(sigPrefix):]); ok {
				got = append(got, sig)
			}
		}
	}
	if len(got) == 0 {
		return wrapf(ErrInvalidSignature, "no sha256=<hex> entry in %s", HeaderSignature)
	}
	var sum [sha256.Size]byte
	for _, key := range keys {
		if key == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(key))
		mac.Write([]byte(connID))
		mac.Sum(sum[:0])
		for i := range got {
			if hmac.Equal(sum[:], got[i][:]) {
				return nil
			}
		}
	}
	return wrapf(ErrInvalidSignature, "no %s entry matches a configured access key", HeaderSignature)
}

// decodeHex32 decodes 64 hex digits of either case without allocating.
func decodeHex32(s string) (out [sha256.Size]byte, ok bool) {
	if len(s) != 2*sha256.Size {
		return out, false
	}
	for i := range out {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return out, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Signature returns the X-ASRS-Signature entry for connectionID under key,
// in the form Azure SignalR Service sends: "sha256=" + the lowercase hex
// HMAC-SHA256 of the connection id's UTF-8 bytes, keyed with the access
// key's UTF-8 bytes. The service sends one entry per access key, separated
// by ", " ("sha256=8abb…, sha256=3e8f…"); Microsoft's local emulator writes
// uppercase hex separated by "," instead. Verification accepts both: entries
// are split on ',', trimmed of spaces, and their hex compared without case
// and in constant time.
//
// The signature covers the connection id only, not the body or any other
// header; see the package documentation.
func Signature(key, connectionID string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(connectionID))
	return sigPrefix + hex.EncodeToString(mac.Sum(nil))
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxBodySize
	}
	if r.ContentLength > limit {
		return nil, wrapf(ErrTooLarge, "Content-Length %d exceeds the %d-byte limit", r.ContentLength, limit)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var body []byte
	if r.ContentLength >= 0 {
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, wrapf(ErrMalformedBody, "reading body: %v", err)
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, wrapf(ErrMalformedBody, "reading body: %v", err)
	}
	if int64(len(body)) > limit {
		return nil, wrapf(ErrTooLarge, "body exceeds the %d-byte limit", limit)
	}
	return body, nil
}

func decode(r *http.Request, req request, limit int64) (*Invocation, error) {
	body, err := upstreamBody(r, req, limit)
	if err != nil {
		return nil, err
	}
	inv := &Invocation{
		InvocationContext: InvocationContext{
			Category:     req.category,
			Event:        req.event,
			Hub:          req.hub,
			ConnectionID: req.connID,
			UserID:       first(r.Header, hUserID),
			Headers:      headerMap(r.Header),
			Query:        parseQuery(first(r.Header, hClientQuery)),
			Claims:       parseClaims(r.Header[hUserClaims]),
		},
		Protocol: req.proto.Name(),
		proto:    req.proto,
	}
	if req.category == CategoryConnections {
		if err := connectionBody(inv, req, body); err != nil {
			return nil, err
		}
		return inv, nil
	}
	m, err := hubproto.UnmarshalLimited(req.proto, body, MaxArguments)
	if err != nil {
		return nil, wrapf(ErrMalformedBody, "%v", err)
	}
	if m.Type != hubproto.TypeInvocation {
		return nil, wrapf(ErrMalformedBody, "message type %v: want an Invocation (1) for category messages", m.Type)
	}
	if !strings.EqualFold(m.Target, req.event) {
		return nil, wrapf(ErrMalformedBody, "invocation target %.100q does not match %s %.100q", m.Target, HeaderEvent, req.event)
	}
	inv.InvocationID = m.InvocationID
	inv.args = m.Arguments
	if inv.args == nil {
		inv.args = []hubproto.Value{}
	}
	inv.Arguments = make([]json.RawMessage, len(m.Arguments))
	for i, a := range m.Arguments {
		raw, err := a.JSON()
		if err != nil {
			return nil, wrapf(ErrMalformedBody, "argument %d: %v", i, err)
		}
		inv.Arguments[i] = raw
	}
	return inv, nil
}

// headerMap copies the request headers, comma-joining repeated values. It
// drops the credentials: Authorization (a bearer token), X-ASRS-Signature
// (it would let anyone replay requests for the connection; it is verified
// already) and the access_token of the client query.
func headerMap(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		switch k {
		case "Authorization", hSignature:
			continue
		case "X-Asrs-Client-Query":
			m[k] = stripAccessToken(strings.Join(vs, ","))
			continue
		}
		if len(vs) == 1 {
			m[k] = vs[0]
		} else {
			m[k] = strings.Join(vs, ",")
		}
	}
	return m
}

// stripAccessToken removes access_token parameters from a raw query,
// leaving the rest byte for byte.
func stripAccessToken(q string) string {
	if !strings.Contains(q, "access") && !strings.Contains(q, "%") {
		return q
	}
	lead := strings.HasPrefix(q, "?")
	q = strings.TrimPrefix(q, "?")
	var kept []string
	for part := range strings.SplitSeq(q, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && n == "access_token" {
			continue
		}
		kept = append(kept, part)
	}
	out := strings.Join(kept, "&")
	if lead {
		out = "?" + out
	}
	return out
}

// parseQuery reads X-ASRS-Client-Query ("?a=1&b=2"): repeated keys are
// comma-joined, malformed escapes skipped, access_token dropped.
func parseQuery(raw string) map[string]string {
	m := map[string]string{}
	raw = strings.TrimPrefix(raw, "?")
	if raw == "" {
		return m
	}
	vals, _ := url.ParseQuery(raw)
	delete(vals, "access_token")
	for k, vs := range vals {
		m[k] = strings.Join(vs, ",")
	}
	return m
}

// parseClaims reads X-ASRS-User-Claims, which the service writes as
// "type: value, type: value" without escaping anything. It splits at ',' as
// the extension does, and a part holding ": " starts a claim (its type
// trimmed) while a part without one continues the value of the claim before
// it, so a value such as "Doe, John" arrives whole instead of cut at the
// comma. The first value of a repeated type wins, as in the extension.
//
// The format itself cannot tell a genuine claim from one a value forged with
// ", role: admin"; negotiate refuses such values when it mints a token, so a
// header built from its tokens splits into exactly the claims minted.
func parseClaims(headers []string) map[string]string {
	m := map[string]string{}
	cur := "" // the type whose value a part without ": " continues; "" for none
	for _, h := range headers {
		for part := range strings.SplitSeq(h, ",") {
			typ, val, ok := strings.Cut(part, ": ")
			if !ok {
				if cur != "" {
					m[cur] += "," + strings.TrimRightFunc(part, unicode.IsSpace)
				}
				continue
			}
			typ = strings.TrimSpace(typ)
			cur = ""
			if typ == "" {
				continue
			}
			if _, seen := m[typ]; !seen {
				m[typ] = strings.TrimSpace(val)
				cur = typ
			}
		}
	}
	return m
}
