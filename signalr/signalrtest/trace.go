package signalrtest

import (
	"embed"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The live trace shows what the emulator sees: a page at /trace/, the same events as
// Server-Sent Events at /trace/events and a snapshot of every hub at /trace/state.
//
// Memory is bounded whatever the load: the last traceRingSize events are kept for late
// subscribers, each subscriber has a queue of traceSubBuffer events, and a subscriber whose
// queue is full is dropped rather than waited for, so a stalled reader never slows the
// emulator. Events hold no secrets: see traceEvent.clean.

const (
	// traceRingSize is how many recent events are kept for subscribers that arrive later.
	traceRingSize = 1024
	// traceSubBuffer is how many events may wait for one subscriber before it is dropped.
	traceSubBuffer = 256
	// traceMaxSubscribers bounds concurrent /trace/events streams.
	traceMaxSubscribers = 32
	// traceWriteTimeout bounds one write to a subscriber; a reader that takes longer is cut.
	traceWriteTimeout = 10 * time.Second
	// traceKeepAlive is how often an idle stream gets a comment, so proxies keep it open.
	traceKeepAlive = 15 * time.Second
	// traceMaxFanout is how many per-connection message events one send produces; the REST
	// event still counts every connection reached.
	traceMaxFanout = 50
	// traceMaxListed bounds the connections, groups and users listed per hub in a snapshot.
	traceMaxListed = 500
	// traceMaxBatch is how many bytes one stream write gathers.
	traceMaxBatch = 64 << 10
)

// traceKind is the kind of a trace event; its name is the "kind" field of the JSON.
type traceKind uint8

const (
	traceConnected    traceKind = iota + 1 // a client finished its handshake
	traceDisconnected                      // a client connection ended, with its close reason
	traceREST                              // a REST API call
	traceMessage                           // a message queued for one connection
	traceInvoke                            // a client invoked or sent to a hub method
	traceUpstream                          // an upstream request, or an event no upstream rule matched
	traceResult                            // a client's answer to a server :invoke
	traceRejected                          // a request refused for its token
	traceKindCount
)

var traceKindNames = [traceKindCount]string{
	"", "connected", "disconnected", "rest", "message", "invoke", "upstream", "result", "rejected",
}

func (k traceKind) String() string {
	if k < traceKindCount {
		return traceKindNames[k]
	}
	return ""
}

// traceRecord is one event as kept in the ring and queued for subscribers: the fields
// filters look at, and the encoded SSE frame, shared by every subscriber.
type traceRecord struct {
	seq                    uint64
	kind                   traceKind
	hub, conn, user, group string
	frame                  []byte // "id: N\ndata: {…}\n\n"
}

// traceSub is one /trace/events stream.
type traceSub struct {
	f  traceFilter
	ch chan *traceRecord // closed by the tracer when it drops the subscriber
}

// tracer records trace events. A nil *tracer (Options.DisableTrace) records nothing.
type tracer struct {
	s *Server

	mu        sync.Mutex
	ring      [traceRingSize]*traceRecord
	next      int // ring index of the next event
	count     int // events in the ring
	ringBytes int // frame bytes in the ring
	seq       uint64
	subs      map[*traceSub]struct{}
	dropped   uint64 // subscribers dropped for being slow
}

func newTracer(s *Server) *tracer {
	if s.opts.DisableTrace {
		return nil
	}
	return &tracer{s: s, subs: map[*traceSub]struct{}{}}
}

// emit records ev: it is cleaned of secrets, encoded once, kept in the ring and queued for
// every subscriber whose filter it passes. It never blocks on a subscriber.
func (t *tracer) emit(ev *traceEvent) {
	if ev.Time.IsZero() {
		ev.Time = t.s.now()
	}
	ev.clean(t.s.keys, 1)
	body := ev.appendJSON(make([]byte, 0, 512))
	if len(body) > traceMaxEncoded {
		ev.clean(t.s.keys, 4)
		body = ev.appendJSON(body[:0])
	}
	rec := &traceRecord{kind: ev.kind, hub: ev.Hub, conn: ev.ConnectionID, user: ev.UserID, group: ev.Group}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	rec.seq = t.seq
	rec.frame = append(traceFrameStart(make([]byte, 0, len(body)+traceFrameOverhead), rec.seq), body[1:]...)
	rec.frame = append(rec.frame, '\n', '\n')
	t.recordLocked(rec)
}

// traceFrameOverhead is what a frame adds to its JSON: "id: N\ndata: " + `{"seq":N,` and
// the blank line, with N up to 20 digits.
const traceFrameOverhead = len("id: \ndata: ") + len(`{"seq":,`) + 2*20 + 2

// traceFrameStart begins an SSE frame: the id line, then the JSON object with the sequence
// number first, so tools see it first: {"seq":N,… The caller appends the rest of the object
// (after its "{") and the blank line.
func traceFrameStart(dst []byte, seq uint64) []byte {
	dst = append(dst, "id: "...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, "\ndata: {\"seq\":"...)
	dst = strconv.AppendUint(dst, seq, 10)
	return append(dst, ',')
}

// emitMessages records a message event for each of conns, which share every field of ev
// but the connection's ids: ev is cleaned and encoded once and the lock taken once, so a
// send's fan-out costs little more than its copies.
func (t *tracer) emitMessages(ev *traceEvent, conns []*conn) {
	if len(conns) == 0 {
		return
	}
	ev.Time = t.s.now()
	ev.ConnectionID, ev.UserID = "", ""
	ev.clean(t.s.keys, 1)
	head := ev.appendHead(nil)[1:] // without "{"
	tail := ev.appendTail(nil)
	if len(head)+len(tail) > traceMaxEncoded/2 { // the ids add at most 3 KiB
		ev.clean(t.s.keys, 4)
		head, tail = ev.appendHead(head[:0])[1:], ev.appendTail(tail[:0])
	}
	// One allocation for the records and one for their frames: the records of a send sit
	// side by side in the ring and leave it together, so sharing them holds no more memory.
	recs := make([]traceRecord, len(conns))
	size := 0
	for i, c := range conns {
		user := traceCut(traceScrub(c.userID, t.s.keys), traceFieldMax)
		recs[i] = traceRecord{kind: ev.kind, hub: ev.Hub, conn: c.id, user: user, group: ev.Group}
		// Ids that JSON must escape make buf grow once more; earlier frames keep their array.
		size += len(head) + len(tail) + len(`,"connectionId":"","userId":""`) + len(c.id) + len(user) + traceFrameOverhead
	}
	buf := make([]byte, 0, size)
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range recs {
		rec := &recs[i]
		t.seq++
		rec.seq = t.seq
		start := len(buf)
		buf = appendIDs(append(traceFrameStart(buf, rec.seq), head...), rec.conn, rec.user)
		buf = append(append(buf, tail...), '\n', '\n')
		rec.frame = buf[start:len(buf):len(buf)]
		t.recordLocked(rec)
	}
}

// recordLocked keeps rec in the ring and queues it for every subscriber whose filter it
// passes; a subscriber whose queue is full is dropped, never waited for.
func (t *tracer) recordLocked(rec *traceRecord) {
	if old := t.ring[t.next]; old != nil {
		t.ringBytes -= len(old.frame)
	} else {
		t.count++
	}
	t.ring[t.next] = rec
	t.ringBytes += len(rec.frame)
	t.next = (t.next + 1) % traceRingSize

	for sub := range t.subs {
		if !sub.f.match(rec) {
			continue
		}
		select {
		case sub.ch <- rec:
		default:
			t.dropLocked(sub)
		}
	}
}

// dropLocked forgets a subscriber that cannot keep up. Its queue is emptied at once, so
// the events it held can be collected even while its stream is still blocked in a write.
func (t *tracer) dropLocked(sub *traceSub) {
	delete(t.subs, sub)
	t.dropped++
	for len(sub.ch) > 0 {
		select {
		case <-sub.ch:
		default:
		}
	}
	close(sub.ch)
}

var errTraceBusy = fmt.Errorf("signalrtest: too many trace subscribers; at most %d streams may be open", traceMaxSubscribers)

// subscribe registers a subscriber and returns the ring events after lastID that pass its
// filter, and how many events after lastID are no longer in the ring.
func (t *tracer) subscribe(f traceFilter, lastID uint64) (*traceSub, []*traceRecord, uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.subs) >= traceMaxSubscribers {
		return nil, nil, 0, errTraceBusy
	}
	if lastID > t.seq {
		lastID = 0 // an id from before a restart: start over
	}
	var replay []*traceRecord
	var missed uint64
	oldest := t.seq - uint64(t.count) + 1 // seq of the oldest event in the ring
	if lastID > 0 && lastID+1 < oldest {
		missed = oldest - lastID - 1
	}
	for i := range t.count {
		rec := t.ring[(t.next-t.count+i+traceRingSize)%traceRingSize]
		if rec.seq > lastID && f.match(rec) {
			replay = append(replay, rec)
		}
	}
	sub := &traceSub{f: f, ch: make(chan *traceRecord, traceSubBuffer)}
	t.subs[sub] = struct{}{}
	return sub, replay, missed, nil
}

func (t *tracer) unsubscribe(sub *traceSub) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.subs[sub]; ok {
		delete(t.subs, sub)
		close(sub.ch)
	}
}

// traceStats describes the tracer's memory and subscribers.
type traceStats struct {
	Seq         uint64 `json:"seq"`
	Events      int    `json:"events"`
	Capacity    int    `json:"capacity"`
	Bytes       int    `json:"bytes"`
	Subscribers int    `json:"subscribers"`
	Dropped     uint64 `json:"dropped"`
}

func (t *tracer) stats() traceStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return traceStats{Seq: t.seq, Events: t.count, Capacity: traceRingSize, Bytes: t.ringBytes, Subscribers: len(t.subs), Dropped: t.dropped}
}

// traceFilter selects events by hub, user, connection, group and kind; an empty field
// matches every event.
type traceFilter struct {
	hub, user, conn, group string
	kinds                  uint16 // bit k set: kind k passes; 0: every kind
}

func (f *traceFilter) match(r *traceRecord) bool {
	return (f.kinds == 0 || f.kinds&(1<<r.kind) != 0) &&
		(f.hub == "" || f.hub == r.hub) &&
		(f.user == "" || f.user == r.user) &&
		(f.conn == "" || f.conn == r.conn) &&
		(f.group == "" || f.group == r.group)
}

// maxTraceFilterValue bounds one filter value: group and user names are at most 1024
// characters in the REST API.
const maxTraceFilterValue = 1024

// parseTraceFilter reads the query of /trace/events: hub, user, connection and group
// (exact values; hub ignores case) and kind (a comma-separated list of event kinds).
func parseTraceFilter(q url.Values) (traceFilter, error) {
	var f traceFilter
	one := func(name string) (string, error) {
		vs := q[name]
		if len(vs) > 1 {
			return "", fmt.Errorf("signalrtest: trace filter %q is given %d times; expected at most once", name, len(vs))
		}
		if len(vs) == 0 {
			return "", nil
		}
		if len(vs[0]) > maxTraceFilterValue {
			return "", fmt.Errorf("signalrtest: trace filter %q is %d bytes long; expected at most %d", name, len(vs[0]), maxTraceFilterValue)
		}
		return vs[0], nil
	}
	var err error
	if f.hub, err = one("hub"); err != nil {
		return f, err
	}
	f.hub = normHub(f.hub)
	if f.user, err = one("user"); err != nil {
		return f, err
	}
	if f.conn, err = one("connection"); err != nil {
		return f, err
	}
	if f.group, err = one("group"); err != nil {
		return f, err
	}
	kinds, err := one("kind")
	if err != nil {
		return f, err
	}
	for name := range strings.SplitSeq(kinds, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		k := traceKindByName(name)
		if k == 0 {
			return f, fmt.Errorf("signalrtest: unknown trace event kind %q; expected some of %s", name, strings.Join(traceKindNames[1:], ", "))
		}
		f.kinds |= 1 << k
	}
	return f, nil
}

func traceKindByName(name string) traceKind {
	for k := traceConnected; k < traceKindCount; k++ {
		if strings.EqualFold(traceKindNames[k], name) {
			return k
		}
	}
	return 0
}

//go:embed traceui
var traceUI embed.FS

// serveTrace serves the /trace/ routes. It reports whether the request was one of them.
// It runs before CORS handling on purpose: the trace needs no token, so no other origin may
// read it.
func (s *Server) serveTrace(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if p != "/trace" && !strings.HasPrefix(p, "/trace/") {
		return false
	}
	if s.trace == nil {
		http.Error(w, "the trace is disabled (Options.DisableTrace)", http.StatusNotFound)
		return true
	}
	if msg := traceRefusal(r); msg != "" {
		http.Error(w, msg, http.StatusForbidden)
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the trace supports GET and HEAD", http.StatusMethodNotAllowed)
		return true
	}
	switch p {
	case "/trace":
		http.Redirect(w, r, "/trace/", http.StatusMovedPermanently)
	case "/trace/events":
		s.serveTraceEvents(w, r)
	case "/trace/state":
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, s.traceState())
	default:
		s.serveTraceAsset(w, r)
	}
	return true
}

// traceRefusal explains why a trace request is refused, or returns "". The trace has no
// token, so it answers only requests addressed to an IP address or localhost (a web page
// that rebinds its own DNS name to this machine cannot read it) and not sent by a page of
// another site.
func traceRefusal(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	lh := strings.ToLower(host)
	if net.ParseIP(host) == nil && lh != "localhost" && !strings.HasSuffix(lh, ".localhost") {
		return "the trace answers only requests addressed to an IP address or localhost; open it as http://127.0.0.1:<port>/trace/"
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return "the trace does not answer pages of other sites"
	}
	return ""
}

// serveTraceAsset serves the page's embedded files.
func (s *Server) serveTraceAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/trace/")
	if name == "" {
		name = "index.html"
	}
	b, err := fs.ReadFile(traceUI, "traceui/"+name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	switch {
	case strings.HasSuffix(name, ".html"):
		h.Set("Content-Type", "text/html; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		h.Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		h.Set("Content-Type", "text/css; charset=utf-8")
	}
	// Everything the page needs is served here; nothing else may run or load.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// serveTraceEvents streams events as Server-Sent Events: first those of the ring after
// Last-Event-ID (all of them on a first connection), then live ones.
func (s *Server) serveTraceEvents(w http.ResponseWriter, r *http.Request) {
	f, err := parseTraceFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var lastID uint64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if lastID, err = strconv.ParseUint(strings.TrimSpace(v), 10, 64); err != nil {
			http.Error(w, "signalrtest: Last-Event-ID is not an event id; expected a number from an id: line", http.StatusBadRequest)
			return
		}
	}
	if !s.track() {
		http.Error(w, "the server is closing", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	sub, replay, missed, err := s.trace.subscribe(f, lastID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer s.trace.unsubscribe(sub)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache,no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(traceWriteTimeout)) // unsupported by some writers
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	buf := []byte("retry: 1000\n\n")
	if missed > 0 {
		gap := traceEvent{Time: s.now(), Kind: "gap", Missed: missed}
		buf = append(gap.appendJSON(append(buf, "data: "...)), '\n', '\n')
	}
	for _, rec := range replay {
		buf = append(buf, rec.frame...)
		if len(buf) >= traceMaxBatch {
			if !write(buf) {
				return
			}
			buf = buf[:0]
		}
	}
	if !write(buf) {
		return
	}
	replay = nil

	keepAlive := time.NewTicker(traceKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case rec, ok := <-sub.ch:
			if !ok {
				return // dropped for being slow; the client reconnects with Last-Event-ID
			}
			buf = append(buf[:0], rec.frame...)
		gather:
			for len(buf) < traceMaxBatch {
				select {
				case rec, ok := <-sub.ch:
					if !ok {
						break gather
					}
					buf = append(buf, rec.frame...)
				default:
					break gather
				}
			}
			if !write(buf) {
				return
			}
			if cap(buf) > 2*traceMaxBatch {
				buf = nil
			}
		case <-keepAlive.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// traceState is the snapshot served at /trace/state.
type traceState struct {
	Time     time.Time   `json:"time"`
	Trace    traceStats  `json:"trace"`
	Upstream []traceRule `json:"upstream"`
	Hubs     []traceHub  `json:"hubs"`
}

type traceRule struct {
	URL      string `json:"url"`
	Hub      string `json:"hub"`
	Category string `json:"category"`
	Event    string `json:"event"`
}

type traceHub struct {
	Name        string       `json:"name"`
	Connections []traceConn  `json:"connections"`
	Groups      []traceGroup `json:"groups"`
	Users       []traceUser  `json:"users"`
	// The counts are complete even when the lists stop at traceMaxListed entries.
	ConnectionCount int `json:"connectionCount"`
	GroupCount      int `json:"groupCount"`
	UserCount       int `json:"userCount"`
}

type traceConn struct {
	ID             string    `json:"connectionId"`
	UserID         string    `json:"userId,omitempty"`
	Transport      string    `json:"transport"`
	Protocol       string    `json:"protocol"`
	Stateful       bool      `json:"stateful,omitempty"`
	Groups         []string  `json:"groups"`
	ConnectedSince time.Time `json:"connectedSince"`
}

type traceGroup struct {
	Name    string   `json:"name"`
	Members []string `json:"members"` // connection ids
}

type traceUser struct {
	UserID      string   `json:"userId"`
	Connections []string `json:"connections"`
}

// traceState takes a snapshot of every hub. Only copies are made under the lock; sorting
// and trimming happen after it.
func (s *Server) traceState() traceState {
	st := traceState{Time: s.now(), Trace: s.trace.stats(), Upstream: []traceRule{}, Hubs: []traceHub{}}
	for _, t := range s.upstreamRules() {
		st.Upstream = append(st.Upstream, traceRule{URL: traceCut(traceScrub(traceURL(t.UrlTemplate), s.keys), 1024),
			Hub: orAny(t.HubPattern), Category: orAny(t.CategoryPattern), Event: orAny(t.EventPattern)})
	}
	s.mu.Lock()
	for name, h := range s.hubs {
		s.expireLocked(h)
		th := traceHub{Name: name, ConnectionCount: len(h.conns), GroupCount: len(h.groups), UserCount: len(h.users)}
		th.Connections = make([]traceConn, 0, len(h.conns))
		for _, c := range h.conns {
			groups := make([]string, 0, len(c.groups))
			for g := range c.groups {
				groups = append(groups, g)
			}
			th.Connections = append(th.Connections, traceConn{ID: c.id, UserID: c.userID, Transport: c.transport.String(),
				Protocol: c.protoName(), Stateful: c.stateful, Groups: groups, ConnectedSince: c.created})
		}
		th.Groups = make([]traceGroup, 0, len(h.groups))
		for g, members := range h.groups {
			tg := traceGroup{Name: g, Members: make([]string, 0, min(len(members), traceMaxListed))}
			for c := range members {
				if len(tg.Members) == traceMaxListed {
					break
				}
				tg.Members = append(tg.Members, c.id)
			}
			th.Groups = append(th.Groups, tg)
		}
		th.Users = make([]traceUser, 0, len(h.users))
		for u, conns := range h.users {
			tu := traceUser{UserID: u, Connections: make([]string, 0, min(len(conns), traceMaxListed))}
			for c := range conns {
				if len(tu.Connections) == traceMaxListed {
					break
				}
				tu.Connections = append(tu.Connections, c.id)
			}
			th.Users = append(th.Users, tu)
		}
		st.Hubs = append(st.Hubs, th)
	}
	s.mu.Unlock()

	sort.Slice(st.Hubs, func(i, j int) bool { return st.Hubs[i].Name < st.Hubs[j].Name })
	for i := range st.Hubs {
		h := &st.Hubs[i]
		sort.Slice(h.Connections, func(i, j int) bool { return h.Connections[i].ID < h.Connections[j].ID })
		h.Connections = h.Connections[:min(len(h.Connections), traceMaxListed)]
		for j := range h.Connections {
			sort.Strings(h.Connections[j].Groups)
		}
		sort.Slice(h.Groups, func(i, j int) bool { return h.Groups[i].Name < h.Groups[j].Name })
		h.Groups = h.Groups[:min(len(h.Groups), traceMaxListed)]
		for j := range h.Groups {
			sort.Strings(h.Groups[j].Members)
		}
		sort.Slice(h.Users, func(i, j int) bool { return h.Users[i].UserID < h.Users[j].UserID })
		h.Users = h.Users[:min(len(h.Users), traceMaxListed)]
		for j := range h.Users {
			sort.Strings(h.Users[j].Connections)
		}
	}
	return st
}

func orAny(p string) string {
	if p == "" {
		return "*"
	}
	return p
}
