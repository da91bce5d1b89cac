package signalrtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/golang-jwt/jwt/v5"
)

// traceEvent is one event of the live trace, as encoded on /trace/events. Every event has
// seq (added when it is recorded), time, kind and hub ("" for routes without a hub); the
// other fields appear when they apply. Arguments and results are JSON text cut to
// tracePreviewMax bytes. The events are written by appendJSON; the struct tags are the
// reference FuzzTraceEventJSON holds it to.
type traceEvent struct {
	kind traceKind

	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Hub  string    `json:"hub"`

	ConnectionID string `json:"connectionId,omitempty"`
	UserID       string `json:"userId,omitempty"`
	Group        string `json:"group,omitempty"`

	// connected
	Transport string `json:"transport,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	Stateful  bool   `json:"stateful,omitempty"`

	// disconnected: the close reason ("" for a clean close); rejected: why the token was refused.
	Reason string `json:"reason,omitempty"`

	// rest and rejected
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	Query     string `json:"query,omitempty"`
	Status    int    `json:"status,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
	// Reached is how many connections a send (or close) reached; present only for those.
	Reached *int `json:"reached,omitempty"`
	// Scope is what a send addressed: all, user, group, connection, execute or stream.
	Scope string `json:"scope,omitempty"`

	DurationMs float64 `json:"durationMs,omitempty"`

	// message, invoke, result and upstream
	Target       string `json:"target,omitempty"`
	InvocationID string `json:"invocationId,omitempty"`
	Arguments    string `json:"arguments,omitempty"`

	// upstream
	Category string `json:"category,omitempty"`
	Event    string `json:"event,omitempty"`
	URL      string `json:"url,omitempty"`

	// Completion is what the client's invoke() got back: "result", "empty" or "error".
	Completion string `json:"completion,omitempty"`
	Result     string `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`

	// rejected: what the token claims and what the request needed.
	Audience         string `json:"audience,omitempty"`
	ExpectedAudience string `json:"expectedAudience,omitempty"`

	// gap: events a reconnecting subscriber missed because they left the ring.
	Missed uint64 `json:"missed,omitempty"`
}

const (
	// traceFieldMax bounds names, ids and reasons; traceLongMax bounds URLs, paths and
	// queries; tracePreviewMax bounds arguments and results. Together they bound an event.
	traceFieldMax   = 256
	traceLongMax    = 1024
	tracePreviewMax = 512
)

// traceMaxEncoded bounds one encoded event. Text JSON must escape (control characters) takes
// six bytes a byte, so an event over the bound is cut again to a quarter of each bound.
const traceMaxEncoded = 16 << 10

// clean cuts every field to its bound divided by div and removes secrets from it.
func (e *traceEvent) clean(keys []string, div int) {
	if e.Kind == "" {
		e.Kind = e.kind.String()
	}
	for _, f := range []struct {
		p   *string
		max int
	}{
		{&e.Hub, traceFieldMax}, {&e.ConnectionID, traceFieldMax}, {&e.UserID, traceFieldMax},
		{&e.Group, traceFieldMax}, {&e.Reason, traceFieldMax}, {&e.Method, 16},
		{&e.Path, traceLongMax}, {&e.Query, traceLongMax}, {&e.ErrorCode, traceFieldMax},
		{&e.Target, traceFieldMax}, {&e.InvocationID, traceFieldMax}, {&e.Arguments, tracePreviewMax},
		{&e.Category, traceFieldMax}, {&e.Event, traceFieldMax}, {&e.URL, traceLongMax},
		{&e.Result, tracePreviewMax}, {&e.Error, traceLongMax}, {&e.Audience, traceLongMax},
		{&e.ExpectedAudience, traceLongMax},
	} {
		if *f.p != "" {
			// Cut generously first so scrubbing is bounded, scrub, then cut to size: a token
			// is never cut before it is recognised.
			*f.p = traceCut(traceScrub(traceCut(*f.p, 4*f.max), keys), f.max/div)
		}
	}
}

var (
	// traceJWT matches a JSON Web Token, or what is left of one after a cut.
	traceJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{6,}(?:\.[A-Za-z0-9_\-]*){0,2}`)
	// traceBearer matches an Authorization value (words such as "Bearer header" are too short).
	traceBearer = regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{16,}`)
	// traceSecretParam matches name=value pairs whose value is a secret, in queries and
	// connection strings.
	traceSecretParam = regexp.MustCompile(`(?i)\b(access_token|accesskey|code|sig|signature|client_secret|password|secret|apikey|api-key|api_key|x-functions-key)=[^&;"'\s,]*`)
)

// traceScrub removes secrets from free text: JSON Web Tokens, bearer values, access keys
// (keys lists the server's), and the values of access_token, AccessKey=, code= and similar
// parameters.
func traceScrub(s string, keys []string) string {
	for _, k := range keys {
		if k != "" && strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, "[key]")
		}
	}
	if strings.Contains(s, "eyJ") {
		s = traceJWT.ReplaceAllLiteralString(s, "[token]")
	}
	if strings.Contains(s, "earer") || strings.Contains(s, "EARER") {
		s = traceBearer.ReplaceAllLiteralString(s, "Bearer [token]")
	}
	if strings.IndexByte(s, '=') >= 0 {
		s = traceSecretParam.ReplaceAllString(s, "${1}=REDACTED")
	}
	return s
}

// traceCut shortens s to at most n bytes, on a rune boundary, marking the cut with "…".
func traceCut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	i := n - len(mark)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + mark
}

// traceSecretName reports whether a query parameter carries a secret (a function key, a
// signature, a password): its value is shown as REDACTED.
func traceSecretName(name string) bool {
	switch strings.ToLower(name) {
	case "code", "key", "sig", "signature", "token", "secret", "client_secret", "password",
		"accesskey", "apikey", "api-key", "api_key", "x-functions-key":
		return true
	}
	return false
}

// traceQuery is a raw query as the trace shows it: access_token removed, secret values
// REDACTED, everything else as sent.
func traceQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		key, _, hasValue := strings.Cut(part, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if strings.EqualFold(name, "access_token") {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		if hasValue && traceSecretName(name) {
			b.WriteString(key)
			b.WriteString("=REDACTED")
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}

// traceURL is an upstream URL as the trace shows it: no user info, access_token removed and
// function keys REDACTED.
func traceURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	u.RawQuery = traceQuery(u.RawQuery)
	u.Fragment, u.RawFragment = "", ""
	// Templates keep their {hub}, {category} and {event} readable.
	return traceBraces.Replace(u.String())
}

var traceBraces = strings.NewReplacer("%7B", "{", "%7D", "}")

// traceJSON is a value's JSON text, cut to a bound before anything else is done with it.
func traceJSON(v hubproto.Value) string {
	if v.IsZero() {
		return ""
	}
	b, err := v.JSON()
	if err != nil {
		return "(not convertible to JSON)"
	}
	return string(b[:min(len(b), 4*tracePreviewMax)])
}

// traceArgs is the JSON array of a message's arguments, cut to a bound.
func traceArgs(args []hubproto.Value) string {
	buf := make([]byte, 0, 64)
	buf = append(buf, '[')
	for i, a := range args {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, traceJSON(a)...)
		if len(buf) > 4*tracePreviewMax {
			break
		}
	}
	return string(append(buf, ']'))
}

// traceOutbound describes a message for many connections: its target and arguments.
func traceOutbound(o *outbound) (target, args string) {
	o.mu.Lock()
	m := o.msg
	o.mu.Unlock()
	if m == nil {
		return "", ""
	}
	switch m.Type {
	case hubproto.TypeStreamItem:
		return "(stream item " + m.InvocationID + ")", traceJSON(m.Item)
	case hubproto.TypeCompletion:
		if m.Error != "" {
			return "(stream " + m.InvocationID + " completed)", m.Error
		}
		return "(stream " + m.InvocationID + " completed)", ""
	}
	return m.Target, traceArgs(m.Arguments)
}

func traceMs(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3 // milliseconds with microsecond precision
}

// connected records a client that finished its handshake.
func (t *tracer) connected(c *conn) {
	if t == nil {
		return
	}
	c.mu.Lock()
	transport, stateful := c.transport.String(), c.stateful
	proto := c.protoName()
	c.mu.Unlock()
	t.emit(&traceEvent{kind: traceConnected, Hub: c.hub, ConnectionID: c.id, UserID: c.userID,
		Transport: transport, Protocol: proto, Stateful: stateful})
}

// disconnected records the end of a connection that had connected; reason is its close
// reason, "" when it closed cleanly.
func (t *tracer) disconnected(c *conn, reason string) {
	if t == nil {
		return
	}
	t.emit(&traceEvent{kind: traceDisconnected, Hub: c.hub, ConnectionID: c.id, UserID: c.userID, Reason: reason})
}

// traceRESTKey finds a REST call's traceRESTCall in its request context.
type traceRESTKey struct{}

// traceRESTCall gathers what the handlers learn about a REST call for its event.
type traceRESTCall struct {
	start   time.Time
	reached *int
	scope   string
	target  string
	args    string
}

// restStart marks the start of a REST call; the returned request carries what restDone needs.
func (t *tracer) restStart(r *http.Request) *http.Request {
	if t == nil {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), traceRESTKey{}, &traceRESTCall{start: time.Now()}))
}

func traceRESTOf(r *http.Request) *traceRESTCall {
	rt, _ := r.Context().Value(traceRESTKey{}).(*traceRESTCall)
	return rt
}

// restDone records a REST call once it is answered.
func (t *tracer) restDone(r *http.Request, call *RESTCall) {
	if t == nil {
		return
	}
	ev := traceEvent{kind: traceREST, Hub: call.Hub, Method: call.Method, Path: call.Path, Query: traceQuery(call.Query),
		Status: call.Status, ErrorCode: call.ErrorCode}
	if rt := traceRESTOf(r); rt != nil {
		ev.DurationMs = traceMs(time.Since(rt.start))
		ev.Reached, ev.Scope, ev.Target, ev.Arguments = rt.reached, rt.scope, rt.target, rt.args
	}
	ev.UserID, ev.Group, ev.ConnectionID = traceRESTIDs(r.URL.EscapedPath())
	t.emit(&ev)
}

// traceRESTIDs finds the user, group and connection a REST path names after its hub.
func traceRESTIDs(escapedPath string) (user, group, connection string) {
	segs := strings.Split(strings.Trim(escapedPath, "/"), "/")
	start := -1
	for i, s := range segs {
		if s == "hubs" {
			start = i + 2 // past the hub name
			break
		}
	}
	if start < 0 {
		return "", "", ""
	}
	for i := start; i+1 < len(segs); i++ {
		v, err := url.PathUnescape(segs[i+1])
		if err != nil {
			continue
		}
		switch segs[i] {
		case "users":
			user = v
		case "groups":
			group = v
		case "connections":
			connection = v
		}
	}
	return user, group, connection
}

// sent records a REST send: how many connections it reached (on the REST event) and a
// message event per connection, up to traceMaxFanout of them.
func (t *tracer) sent(r *http.Request, hub, scope, name string, o *outbound, targets []*conn) {
	if t == nil {
		return
	}
	target, args := traceOutbound(o)
	n := len(targets)
	if rt := traceRESTOf(r); rt != nil {
		rt.reached, rt.scope, rt.target, rt.args = &n, scope, target, args
	}
	group := ""
	if scope == "group" {
		group = name
	}
	t.emitMessages(&traceEvent{kind: traceMessage, Hub: hub, Group: group, Scope: scope, Target: target, Arguments: args},
		targets[:min(n, traceMaxFanout)])
}

// executed records an :execute call: the connections its filter selected and the messages
// its SendMessage commands queued.
func (t *tracer) executed(r *http.Request, hub string, cmds []command, targets []*conn) {
	if t == nil {
		return
	}
	n := len(targets)
	if rt := traceRESTOf(r); rt != nil {
		rt.reached, rt.scope = &n, "execute"
	}
	left := traceMaxFanout
	for _, cmd := range cmds {
		if cmd.typ != "sendmessage" || cmd.out == nil || left == 0 {
			continue
		}
		target, args := traceOutbound(cmd.out)
		some := targets[:min(len(targets), left)]
		left -= len(some)
		t.emitMessages(&traceEvent{kind: traceMessage, Hub: hub, Scope: "execute", Target: target, Arguments: args}, some)
	}
}

// closed records how many connections a closeConnections call reached.
func (t *tracer) closed(r *http.Request, targets []*conn) {
	if t == nil {
		return
	}
	if rt := traceRESTOf(r); rt != nil {
		n := len(targets)
		rt.reached = &n
	}
}

// clientResult records a client's answer to a REST :invoke.
func (t *tracer) clientResult(c *conn, m *hubproto.Message, res hubproto.Message, err error) {
	if t == nil {
		return
	}
	ev := traceEvent{kind: traceResult, Hub: c.hub, ConnectionID: c.id, UserID: c.userID, Target: m.Target, Arguments: traceArgs(m.Arguments)}
	switch {
	case err != nil:
		ev.Completion, ev.Error = "error", err.Error()
	case res.HasError || res.Error != "":
		ev.Completion, ev.Error = "error", res.Error
	case res.HasResult:
		ev.Completion, ev.Result = "result", traceJSON(res.Result)
	default:
		ev.Completion = "empty"
	}
	t.emit(&ev)
}

// invoked records an invocation or send from a client, before it goes upstream.
func (t *tracer) invoked(c *conn, m *hubproto.Message) {
	if t == nil {
		return
	}
	t.emit(&traceEvent{kind: traceInvoke, Hub: c.hub, ConnectionID: c.id, UserID: c.userID,
		Target: m.Target, InvocationID: m.InvocationID, Arguments: traceArgs(m.Arguments)})
}

// noUpstream records an event that no upstream rule matches, so it is dropped: the most
// common reason a trigger never fires.
func (t *tracer) noUpstream(c *conn, category, event, invocationID string) {
	if t == nil {
		return
	}
	ev := traceEvent{kind: traceUpstream, Hub: c.hub, ConnectionID: c.id, UserID: c.userID, Category: category, Event: event,
		InvocationID: invocationID,
		Error:        fmt.Sprintf("no upstream rule matches hub '%s', category '%s', event '%s'; the event is dropped", c.hub, category, event)}
	if invocationID != "" && !t.s.opts.StrictAzure {
		ev.Completion = "error"
	}
	t.emit(&ev)
}

// upstream records an upstream request and, for an invoke(), the Completion the client gets.
func (t *tracer) upstream(c *conn, j *upstreamJob, call *UpstreamCall, d time.Duration, reply []byte) {
	if t == nil {
		return
	}
	ev := traceEvent{kind: traceUpstream, Hub: c.hub, ConnectionID: c.id, UserID: c.userID, Category: call.Category, Event: call.Event,
		URL: traceURL(call.URL), Status: call.Status, DurationMs: traceMs(d), InvocationID: j.invocationID, Error: call.Err}
	if j.kind == jobMessage && j.invocationID != "" {
		switch {
		case call.Err != "":
			ev.Completion = "error"
		case call.Status != http.StatusOK && call.Status != http.StatusNoContent:
			ev.Completion, ev.Error = "error", "the upstream answered "+strconv.Itoa(call.Status)
		case len(reply) == 0:
			ev.Completion = "empty"
		default:
			c.mu.Lock()
			p := c.proto
			c.mu.Unlock()
			// Framed records as a rule; writeRecords also accepts one unframed message.
			m, _, err := p.ParseFrame(reply)
			if err != nil {
				m, err = p.Unmarshal(reply)
			}
			switch {
			case err != nil:
				ev.Completion, ev.Error = "error", "the upstream reply is not a "+p.Name()+" hub message"
			case m.Type != hubproto.TypeCompletion:
				ev.Completion = "none"
			case m.HasError || m.Error != "":
				ev.Completion, ev.Error = "error", m.Error
			case m.HasResult:
				ev.Completion, ev.Result = "result", traceJSON(m.Result)
			default:
				ev.Completion = "empty"
			}
		}
	}
	t.emit(&ev)
}

// rejected records a request refused for its token. The token is never shown: only why it
// was refused and, when it can be read, the user and audience it claims.
func (t *tracer) rejected(r *http.Request, hub string, err error) {
	if t == nil {
		return
	}
	ev := traceEvent{kind: traceRejected, Hub: hub, Method: r.Method, Path: r.URL.Path, Query: traceQuery(r.URL.RawQuery),
		Reason: traceRejectReason(err), Error: strings.TrimPrefix(err.Error(), "signalrtest: ")}
	if tok := bearerToken(r, true); tok != "" && len(tok) <= maxTokenLength {
		claims := jwt.MapClaims{}
		if _, _, perr := jwt.NewParser().ParseUnverified(tok, claims); perr == nil {
			ev.UserID = userIDOf(claims)
			if auds, aerr := claims.GetAudience(); aerr == nil {
				ev.Audience = strings.Join(auds, " ")
			}
		}
	}
	if errors.Is(err, errBadAudience) {
		if strings.HasPrefix(r.URL.Path, "/client") {
			ev.ExpectedAudience = "{endpoint}/client/?hub=" + hub
		} else {
			ev.ExpectedAudience = "{endpoint}" + r.URL.Path
		}
	}
	t.emit(&ev)
}

// traceRejectReason names why a token was refused, in a word or two.
func traceRejectReason(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, errNoToken):
		return "no token"
	case errors.Is(err, errTokenTooLarge):
		return "token too large"
	case errors.Is(err, errBadAudience):
		return "wrong audience"
	case strings.Contains(msg, "expired"):
		return "expired"
	case strings.Contains(msg, "not valid yet"):
		return "not yet valid"
	case strings.Contains(msg, "signature"):
		return "bad signature"
	case strings.Contains(msg, "no exp"):
		return "no expiry"
	case strings.Contains(msg, "no aud"):
		return "no audience"
	case strings.Contains(msg, "malformed"):
		return "malformed"
	}
	return "invalid token"
}
