package signalrtest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// lpPollTimeout is how long a poll waits for data before returning empty, as
// in ASP.NET.
const lpPollTimeout = 90 * time.Second

// maxClientSend bounds one LP/SSE send, like the service's 1 MB limit.
const maxClientSend = 1 << 20

type transportJSON struct {
	Transport       string   `json:"transport"`
	TransferFormats []string `json:"transferFormats"`
}

var availableTransports = []transportJSON{
	{"WebSockets", []string{"Text", "Binary"}},
	{"ServerSentEvents", []string{"Text"}},
	{"LongPolling", []string{"Text", "Binary"}},
}

type negotiateResponse struct {
	NegotiateVersion     int             `json:"negotiateVersion"`
	ConnectionID         string          `json:"connectionId"`
	ConnectionToken      string          `json:"connectionToken,omitempty"`
	AvailableTransports  []transportJSON `json:"availableTransports"`
	UseStatefulReconnect bool            `json:"useStatefulReconnect,omitempty"`
}

// clientHub returns the single hub query parameter of a client request, or
// writes 400.
func clientHub(w http.ResponseWriter, r *http.Request) (string, bool) {
	hubs := r.URL.Query()["hub"]
	if len(hubs) != 1 {
		http.Error(w, "exactly one hub query parameter is required", http.StatusBadRequest)
		return "", false
	}
	if !hubNameRE.MatchString(hubs[0]) {
		http.Error(w, "invalid hub name", http.StatusBadRequest)
		return "", false
	}
	return normHub(hubs[0]), true
}

func (s *Server) clientIdentity(w http.ResponseWriter, r *http.Request, hub string) (identity, bool) {
	id, err := s.validateToken(r, bearerToken(r, true), clientAudience(r, hub), false, true)
	if err != nil {
		s.trace.rejected(r, hub, err)
		if errors.Is(err, errTokenTooLarge) {
			http.Error(w, "the access token is longer than 4096 characters", http.StatusRequestEntityTooLarge)
			return identity{}, false
		}
		writeUnauthorized(w, err)
		return identity{}, false
	}
	return id, true
}

// serveNegotiate answers POST /client/negotiate?hub=…&negotiateVersion=….
// negotiateSweepInterval is how often negotiate forgets negotiations that were never used.
const negotiateSweepInterval = time.Second

func (s *Server) serveNegotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		allow(w, http.MethodPost)
		return
	}
	hub, ok := clientHub(w, r)
	if !ok {
		return
	}
	id, ok := s.clientIdentity(w, r, hub)
	if !ok {
		return
	}
	q := r.URL.Query()
	version := 0
	if v := q.Get("negotiateVersion"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusOK, map[string]string{"error": "The client requested an invalid protocol version '" + v + "'"})
			return
		}
		version = min(n, 1)
	}
	stateful, _ := strconv.ParseBool(q.Get("useStatefulReconnect"))

	c := s.newConn(hub, id, "", stateful)
	if version == 0 {
		c.token = c.id
	}
	s.mu.Lock()
	now := s.now()
	if now.Sub(s.lastSweep) >= negotiateSweepInterval || s.opts.MaxConnections > 0 {
		s.lastSweep = now
		for tok, old := range s.byToken { // forget negotiations that were never used
			if old.negotiatedExpired(now) {
				delete(s.byToken, tok)
			}
		}
	}
	if s.opts.MaxConnections > 0 && len(s.byToken) >= s.opts.MaxConnections {
		s.mu.Unlock()
		http.Error(w, "the connection quota is exceeded", http.StatusTooManyRequests)
		return
	}
	s.byToken[c.token] = c
	s.mu.Unlock()

	resp := negotiateResponse{NegotiateVersion: version, ConnectionID: c.id, AvailableTransports: availableTransports}
	if version >= 1 {
		resp.ConnectionToken = c.token
		resp.UseStatefulReconnect = stateful
	}
	writeJSON(w, http.StatusOK, resp)
}

// negotiatedExpired reports a negotiation whose transport never came. It takes
// no lock, so it may run under Server.mu (locks order conn.mu before Server.mu).
func (c *conn) negotiatedExpired(now time.Time) bool {
	return !c.claimed.Load() && now.Sub(c.created) > negotiateExpiry
}

// clientQuery is the X-ASRS-Client-Query value: the raw query with its leading
// "?", without access_token.
func clientQuery(raw string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		key, _, _ := strings.Cut(part, "=")
		if key == "access_token" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return "?" + b.String()
}

// serveClient serves /client/?hub=…&id=… for every transport.
func (s *Server) serveClient(w http.ResponseWriter, r *http.Request) {
	hub, ok := clientHub(w, r)
	if !ok {
		return
	}
	id, ok := s.clientIdentity(w, r, hub)
	if !ok {
		return
	}
	isWS := r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
	token := r.URL.Query().Get("id")
	var c *conn
	if token == "" {
		if !isWS {
			http.Error(w, "connection id is required", http.StatusBadRequest)
			return
		}
		// skipNegotiation: the WebSocket creates its connection.
		c = s.newConn(hub, id, "", false)
		c.token = c.id
		s.mu.Lock()
		if s.opts.MaxConnections > 0 && len(s.byToken) >= s.opts.MaxConnections {
			s.mu.Unlock()
			http.Error(w, "the connection quota is exceeded", http.StatusTooManyRequests)
			return
		}
		s.byToken[c.token] = c
		s.mu.Unlock()
	} else {
		s.mu.Lock()
		c = s.byToken[token]
		s.mu.Unlock()
		if c == nil || c.hub != hub {
			http.Error(w, "No Connection with that ID", http.StatusNotFound)
			return
		}
		// A connection belongs to the user who negotiated it. With negotiate
		// v0 the id is the token, and the id is no secret (it goes upstream
		// and to REST callers): without this, any valid token could poll,
		// send on or end another user's connection.
		if id.userID != c.userID {
			http.Error(w, "the access token's user is not the user who negotiated this connection", http.StatusForbidden)
			return
		}
		if c.negotiatedExpired(s.now()) {
			s.mu.Lock()
			delete(s.byToken, token)
			s.mu.Unlock()
			http.Error(w, "No Connection with that ID: the connection was negotiated more than 5 seconds ago", http.StatusNotFound)
			return
		}
	}

	switch {
	case isWS:
		s.serveWebSocket(w, r, c)
	case r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
		s.serveSSE(w, r, c)
	case r.Method == http.MethodGet:
		s.servePoll(w, r, c)
	case r.Method == http.MethodPost:
		s.serveSend(w, r, c)
	case r.Method == http.MethodDelete:
		c.mu.Lock()
		t := c.transport
		c.mu.Unlock()
		if t != transportLongPolling {
			http.Error(w, "DELETE is only supported by the long polling transport", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		c.finish("")
	default:
		allow(w, http.MethodGet, http.MethodPost, http.MethodDelete)
	}
}

// claimTransport binds the connection to t on its first transport request.
func (c *conn) claimTransport(t transportKind, rawQuery string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.state == stateNegotiated:
		c.query = clientQuery(rawQuery)
		c.attachLocked(t)
		return nil
	case c.transport != t:
		return errors.New("cannot change transports between requests")
	}
	return nil
}

var readBufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, c *conn) {
	c.mu.Lock()
	first := c.state == stateNegotiated
	resume := !first && c.transport == transportWebSockets && c.stateful && c.state == stateOpen
	c.mu.Unlock()
	if !first && !resume {
		c.mu.Lock()
		t := c.transport
		c.mu.Unlock()
		if t == transportWebSockets {
			http.Error(w, "the connection already has a WebSocket", http.StatusConflict)
		} else {
			http.Error(w, "cannot change transports between requests", http.StatusBadRequest)
		}
		return
	}
	if !s.track() {
		http.Error(w, "the server is closing", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	ws, err := websocket.Accept(smallHijacker{w}, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		c.finish("")
		return
	}
	ws.SetReadLimit(maxInput)
	if first {
		c.mu.Lock()
		won := c.state == stateNegotiated // a concurrent upgrade for the same id may have won
		if won {
			c.query = clientQuery(r.URL.RawQuery)
			c.attachLocked(transportWebSockets)
			c.ws = ws
			c.kickLocked()
		}
		c.mu.Unlock()
		if !won {
			_ = ws.Close(websocket.StatusPolicyViolation, "the connection already has a WebSocket")
			return
		}
	} else if !c.reattachWS(ws) {
		_ = ws.Close(websocket.StatusPolicyViolation, "the connection cannot be resumed")
		return
	}
	// Read on a fresh goroutine and let the HTTP handler's goroutine, whose
	// stack grew while serving the request, end: an idle connection then costs
	// one small stack.
	if !s.spawn(func() { c.readWS(ws) }) {
		_ = ws.CloseNow()
		c.finish("")
	}
}

// readWS feeds the client's frames to the connection until the socket fails.
func (c *conn) readWS(ws *websocket.Conn) {
	for {
		_, rd, err := ws.Reader(c.s.ctx)
		if err != nil {
			c.wsLost(ws, err)
			return
		}
		buf := readBufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(rd)
		if err == nil {
			c.receive(buf.Bytes())
		}
		if buf.Cap() <= keepBuffer {
			readBufPool.Put(buf)
		}
		if err != nil {
			c.wsLost(ws, err)
			return
		}
	}
}

// smallHijacker hands coder/websocket small bufio buffers instead of the 4 KiB
// pair net/http gives a hijacker, which it would keep for the connection's
// life: idle connections are the emulator's main memory cost.
type smallHijacker struct{ http.ResponseWriter }

func (h smallHijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

func (h smallHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	var src io.Reader = nc
	n := brw.Reader.Buffered()
	if n > 0 { // bytes the client sent right after the upgrade request
		b, _ := brw.Reader.Peek(n)
		src = io.MultiReader(bytes.NewReader(bytes.Clone(b)), nc)
	}
	br := bufio.NewReaderSize(src, max(wsReadBuffer, n))
	if n > 0 {
		_, _ = br.Peek(n) // buffered, so the upgrader sees them as buffered data
	}
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(nc, wsWriteBuffer)), nil
}

// Buffer sizes of a WebSocket connection; frames larger than them bypass the buffers.
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 1024
)

func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, c *conn) {
	if err := c.claimTransport(transportSSE, r.URL.RawQuery); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	busy := c.state != stateConnecting
	c.mu.Unlock()
	if busy {
		http.Error(w, "the connection already has an event stream", http.StatusConflict)
		return
	}
	if !s.track() {
		http.Error(w, "the server is closing", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache,no-store")
	h.Set("Content-Encoding", "identity")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, ":\r\n")
	_ = rc.Flush()
	var ev []byte
	for {
		c.mu.Lock()
		data := c.takePendingLocked()
		state := c.state
		c.mu.Unlock()
		if len(data) > 0 {
			ev = appendSSEEvent(ev[:0], data)
			c.mu.Lock()
			c.recycleLocked(data)
			c.mu.Unlock()
			if _, err := w.Write(ev); err != nil || rc.Flush() != nil {
				c.finish("the event stream failed")
				return
			}
			continue
		}
		if state == stateClosing {
			c.finish(c.closeErrValue())
			return
		}
		if state == stateClosed {
			return
		}
		select {
		case <-c.notify:
		case <-c.done:
		case <-r.Context().Done():
			c.finish("")
			return
		}
	}
}

// appendSSEEvent formats one event: a data line per payload line, then a blank line.
func appendSSEEvent(dst, payload []byte) []byte {
	for line := range bytes.SplitSeq(payload, []byte{'\n'}) {
		line = bytes.TrimSuffix(line, []byte{'\r'})
		dst = append(dst, "data: "...)
		dst = append(dst, line...)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '\r', '\n')
}

func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, c *conn) {
	if err := c.claimTransport(transportLongPolling, r.URL.RawQuery); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	c.mu.Lock()
	c.lastPoll = time.Now()
	if !c.lpPrimed {
		// The first poll returns at once; the client sends its handshake after it.
		c.lpPrimed = true
		c.mu.Unlock()
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	if c.pollCancel != nil {
		close(c.pollCancel) // a newer poll replaces the old one, which gets 204
	}
	cancel := make(chan struct{})
	c.pollCancel = cancel
	c.mu.Unlock()
	if !s.track() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	defer s.wg.Done()
	timeout := time.NewTimer(lpPollTimeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		if c.pollCancel != cancel {
			c.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if len(c.pending) > 0 {
			data := c.takePendingLocked()
			c.pollCancel = nil
			c.lastPoll = time.Now()
			closing := c.state == stateClosing
			c.mu.Unlock()
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(data)
			if closing {
				c.finish(c.closeErrValue())
			}
			return
		}
		state := c.state
		if state == stateClosing || state == stateClosed {
			c.pollCancel = nil
			c.mu.Unlock()
			if state == stateClosing {
				c.finish(c.closeErrValue())
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		c.mu.Unlock()
		select {
		case <-c.notify:
		case <-cancel:
		case <-c.done:
		case <-timeout.C:
			c.mu.Lock()
			if c.pollCancel == cancel {
				c.pollCancel = nil
				c.lastPoll = time.Now()
			}
			c.mu.Unlock()
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
			return
		case <-r.Context().Done():
			c.mu.Lock()
			if c.pollCancel == cancel {
				c.pollCancel = nil
				c.lastPoll = time.Now()
			}
			c.mu.Unlock()
			return
		}
	}
}

// serveSend takes a client's POSTed bytes on SSE and long polling.
func (s *Server) serveSend(w http.ResponseWriter, r *http.Request, c *conn) {
	c.mu.Lock()
	t, state := c.transport, c.state
	if t == transportWebSockets {
		c.mu.Unlock()
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "POST requests are not allowed for WebSocket connections", http.StatusMethodNotAllowed)
		return
	}
	if t == transportNone || state == stateNegotiated {
		c.mu.Unlock()
		http.Error(w, "the connection has no transport yet; open the event stream or poll first", http.StatusBadRequest)
		return
	}
	if c.posting {
		c.mu.Unlock()
		http.Error(w, "another send is in progress", http.StatusConflict)
		return
	}
	c.posting = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.posting = false
		c.mu.Unlock()
	}()
	if state == stateClosed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxClientSend+1))
	if err != nil {
		http.Error(w, "reading the body failed", http.StatusBadRequest)
		return
	}
	if len(body) > maxClientSend {
		http.Error(w, "the message is larger than 1 MB", http.StatusRequestEntityTooLarge)
		return
	}
	c.receive(body)
	w.WriteHeader(http.StatusOK)
}
