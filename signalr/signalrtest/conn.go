package signalrtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

type transportKind uint8

const (
	transportNone transportKind = iota
	transportWebSockets
	transportSSE
	transportLongPolling
)

func (t transportKind) String() string {
	switch t {
	case transportWebSockets:
		return "WebSockets"
	case transportSSE:
		return "ServerSentEvents"
	case transportLongPolling:
		return "LongPolling"
	}
	return ""
}

type connState uint8

const (
	stateNegotiated connState = iota // negotiate answered, no transport yet
	stateConnecting                  // transport attached, waiting for the handshake
	stateOpen                        // handshake done
	stateClosing                     // Close message queued; transport ends once it is written
	stateClosed
)

const (
	// negotiateExpiry is how long a negotiated connection may wait for its
	// transport; later requests get 404, as from the service.
	negotiateExpiry = 5 * time.Second
	// maxPending bounds the bytes queued for a slow client before it is dropped.
	maxPending = 16 << 20
	// maxInput bounds one incomplete inbound record.
	maxInput = 16 << 20
	// keepBuffer is the largest pooled read buffer kept for reuse.
	keepBuffer = 64 << 10
	// keepConnBuffer is the largest buffer a connection keeps for itself
	// between messages: idle connections must stay small.
	keepConnBuffer = 2 << 10
	// ackDelay is how long received messages wait to be acknowledged, batching
	// acks like the JS client does.
	ackDelay = 500 * time.Millisecond
	// lpRetention keeps a closed long-polling connection answerable (204) for a while.
	lpRetention = 5 * time.Second
)

// conn is one logical client connection. It has no goroutine of its own while
// idle: transports drive input, a writer goroutine exists only while output is
// queued on a WebSocket, and one timer handles keep-alive and timeouts.
type conn struct {
	s         *Server
	hub       string
	id, token string
	userID    string
	claims    []claim
	// authExpires is when the connection closes because its token's
	// authentication expired (asrs.s.coae); zero for never.
	authExpires time.Time
	query       string // X-ASRS-Client-Query value
	created     time.Time
	wantState   bool        // negotiate asked for stateful reconnect
	claimed     atomic.Bool // a transport request arrived; readable under Server.mu

	// groups is guarded by Server.mu.
	groups map[string]uint8

	inMu      sync.Mutex // serialises input processing; guards the fields below
	inbuf     []byte
	inScanned int   // bytes at the start of inbuf known to hold no record end
	inWork    int64 // bytes examined or moved while framing input, for tests

	mu    sync.Mutex
	state connState
	// opened says the handshake succeeded, so the connected event went upstream
	// and a disconnected one must follow; a failed handshake closes without either.
	opened     bool
	transport  transportKind
	proto      hubproto.Protocol // set once, before the connection joins its hub
	stateful   bool
	pending    []byte
	spare      []byte
	notify     chan struct{} // wakes SSE and long-polling pumps
	done       chan struct{} // closed when the connection ends
	ws         *websocket.Conn
	writing    bool
	timer      *time.Timer
	tick       time.Duration
	lastRecv   time.Time // updated by the timer from recvd: reading the clock per message is costly
	lastWrite  time.Time // likewise from wrote
	recvd      bool
	wrote      bool
	detachedAt time.Time // stateful WebSocket dropped, awaiting reconnect
	lpPrimed   bool      // the first, immediate poll was answered
	pollCancel chan struct{}
	lastPoll   time.Time
	posting    bool
	closeErr   string

	sentSeq     int64
	replay      []replayItem
	replayBytes int // unacknowledged bytes, bounded like pending
	recvNext    int64
	recvLatest  int64
	ackTimer    *time.Timer

	upq       []upstreamJob
	upqBytes  int // bytes of upq and of the job being delivered
	upRunning bool

	invSeq  int
	invokes map[string]chan hubproto.Message
}

type replayItem struct {
	seq  int64
	data []byte
}

func (s *Server) newConn(hub string, id identity, query string, wantState bool) *conn {
	c := &conn{
		s:           s,
		hub:         hub,
		id:          newID(16),
		userID:      id.userID,
		claims:      id.claims,
		authExpires: id.authExpires,
		query:       query,
		created:     s.now(),
		wantState:   wantState,
		notify:      make(chan struct{}, 1),
		done:        make(chan struct{}),
		recvNext:    1,
	}
	c.token = c.id + "." + newID(16)
	return c
}

// protoName may be read under Server.mu: proto is set before the connection
// joins its hub and never changes afterwards.
func (c *conn) protoName() string {
	if c.proto == nil {
		return ""
	}
	return c.proto.Name()
}

// attach binds the first transport and starts the timer.
func (c *conn) attachLocked(t transportKind) {
	c.claimed.Store(true)
	c.transport = t
	c.state = stateConnecting
	now := time.Now()
	c.lastRecv, c.lastWrite, c.lastPoll = now, now, now
	o := &c.s.opts
	// Activity is sampled each tick, so a ping may come up to a tick late:
	// half the interval keeps it well inside the client's 30 s timeout.
	c.tick = min(o.KeepAliveInterval/2, o.ClientTimeout/2, o.HandshakeTimeout/2)
	if c.tick < 10*time.Millisecond {
		c.tick = 10 * time.Millisecond
	}
	c.timer = time.AfterFunc(c.tick, c.onTick)
}

// onTick sends keep-alive pings and enforces the handshake, client and
// long-polling timeouts.
func (c *conn) onTick() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	now := time.Now()
	if c.recvd {
		c.recvd, c.lastRecv = false, now
	}
	if c.wrote {
		c.wrote, c.lastWrite = false, now
	}
	o := &c.s.opts
	var reason string
	switch {
	case c.state == stateConnecting && now.Sub(c.lastWrite) > o.HandshakeTimeout && c.proto == nil:
		reason = "the client sent no handshake within the handshake timeout"
	case c.state == stateClosing && now.Sub(c.lastWrite) > o.ClientTimeout:
		reason = "the client did not take its last messages"
	case !c.detachedAt.IsZero():
		if now.Sub(c.detachedAt) > o.ClientTimeout {
			reason = "the client did not reconnect within the client timeout"
		}
	case c.transport == transportLongPolling:
		if c.pollCancel == nil && now.Sub(c.lastPoll) > o.ClientTimeout/2 {
			reason = "the client stopped polling"
		}
	case c.state == stateOpen:
		if now.Sub(c.lastRecv) > o.ClientTimeout {
			reason = "the client sent nothing within the client timeout"
		} else if now.Sub(c.lastWrite) >= o.KeepAliveInterval {
			c.enqueueMessageLocked(&hubproto.Message{Type: hubproto.TypePing})
		}
	}
	if reason == "" {
		c.timer.Reset(c.tick)
	}
	c.mu.Unlock()
	if reason != "" {
		c.s.log.Debug("signalrtest: dropping connection", "hub", c.hub, "connection", c.id, "reason", reason)
		c.finish(reason)
	}
}

// countedType reports whether a message takes part in stateful-reconnect
// sequencing (everything but Ping, Close, Ack and Sequence).
func countedType(t hubproto.MessageType) bool {
	return t >= hubproto.TypeInvocation && t <= hubproto.TypeCancelInvocation
}

// sendOut queues a message for many connections.
func (c *conn) sendOut(o *outbound) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return
	}
	b, err := o.frame(c.proto)
	if err != nil {
		c.s.log.Warn("signalrtest: cannot encode message", "hub", c.hub, "connection", c.id, "err", err)
		return
	}
	c.enqueueLocked(b, 1)
}

// enqueueMessageLocked encodes and queues one message.
func (c *conn) enqueueMessageLocked(m *hubproto.Message) {
	if c.proto == nil {
		return
	}
	b, err := c.proto.AppendFrame(nil, m)
	if err != nil {
		c.s.log.Warn("signalrtest: cannot encode message", "hub", c.hub, "connection", c.id, "err", err)
		return
	}
	n := 0
	if countedType(m.Type) {
		n = 1
	}
	c.enqueueLocked(b, n)
}

// enqueueLocked queues whole framed records; counted is how many of them are
// sequenced messages (kept for replay on a stateful connection). b must not be
// modified afterwards.
func (c *conn) enqueueLocked(b []byte, counted int) {
	if c.state == stateClosed {
		return
	}
	if c.stateful && counted > 0 {
		c.sentSeq += int64(counted)
		c.replay = append(c.replay, replayItem{seq: c.sentSeq, data: b})
		c.replayBytes += len(b)
	}
	if len(c.pending)+len(b) > maxPending || c.replayBytes > maxPending {
		c.s.log.Warn("signalrtest: client is too slow; dropping it", "hub", c.hub, "connection", c.id)
		c.state = stateClosing
		c.s.spawn(func() { c.finish("the client did not read its messages") })
		return
	}
	c.pending = append(c.pending, b...)
	c.wrote = true
	c.kickLocked()
}

// kickLocked wakes whatever writes this connection's output.
func (c *conn) kickLocked() {
	if c.transport == transportWebSockets {
		if c.ws != nil && !c.writing {
			c.writing = true
			if !c.s.spawn(c.flushWS) {
				c.writing = false
			}
		}
		return
	}
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// takePendingLocked hands out the queued bytes and recycles the spare buffer.
func (c *conn) takePendingLocked() []byte {
	data := c.pending
	c.pending = c.spare[:0]
	c.spare = nil
	return data
}

func (c *conn) recycleLocked(b []byte) {
	if cap(b) <= keepConnBuffer {
		c.spare = b[:0]
	}
}

// flushWS writes queued output to the WebSocket and exits when none is left.
func (c *conn) flushWS() {
	for {
		c.mu.Lock()
		ws := c.ws
		if ws == nil || len(c.pending) == 0 {
			c.writing = false
			closing := ws != nil && c.state == stateClosing
			if closing {
				c.ws = nil // finish must not cut the socket before the close handshake
			}
			reason := c.closeErr
			c.mu.Unlock()
			if closing {
				c.finish(reason)
				_ = ws.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
		typ := websocket.MessageText
		if c.proto != nil && c.proto.Binary() {
			typ = websocket.MessageBinary
		}
		data := c.takePendingLocked()
		c.mu.Unlock()
		err := ws.Write(c.s.ctx, typ, data)
		c.mu.Lock()
		c.recycleLocked(data)
		c.mu.Unlock()
		if err != nil {
			// Lost data is replayed on a stateful reconnect; the loop goes on
			// with the replacement socket, or stops when there is none.
			c.wsLost(ws, err)
		}
	}
}

func (c *conn) closeErrValue() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// wsLost handles a WebSocket that failed: a stateful connection waits for the
// client to reconnect, any other ends.
func (c *conn) wsLost(ws *websocket.Conn, err error) {
	c.mu.Lock()
	if c.ws != ws {
		c.mu.Unlock()
		return
	}
	c.ws = nil
	if c.stateful && c.state == stateOpen && c.s.ctx.Err() == nil {
		c.detachedAt = time.Now()
		c.mu.Unlock()
		_ = ws.CloseNow()
		return
	}
	c.mu.Unlock()
	_ = ws.CloseNow()
	msg := ""
	var ce websocket.CloseError
	if !errors.As(err, &ce) || (ce.Code != websocket.StatusNormalClosure && ce.Code != websocket.StatusGoingAway) {
		msg = "the WebSocket closed unexpectedly"
	}
	c.finish(msg)
}

// reattachWS resumes a stateful connection on a new WebSocket: Sequence, then
// every message the client has not acknowledged.
func (c *conn) reattachWS(ws *websocket.Conn) bool {
	c.mu.Lock()
	if c.state != stateOpen || !c.stateful {
		c.mu.Unlock()
		return false
	}
	old := c.ws // set when the client reconnected before this side noticed the drop
	c.ws = ws
	c.detachedAt = time.Time{}
	c.lastRecv = time.Now()
	first := c.sentSeq + 1
	if len(c.replay) > 0 {
		first = c.replay[0].seq
	}
	seq, _ := c.proto.AppendFrame(nil, &hubproto.Message{Type: hubproto.TypeSequence, SequenceID: first})
	c.pending = append(c.pending[:0], seq...)
	for _, r := range c.replay {
		c.pending = append(c.pending, r.data...)
	}
	c.kickLocked()
	c.mu.Unlock()
	if old != nil {
		_ = old.CloseNow()
	}
	return true
}

// closeWith queues a Close message and ends the connection once it is written.
func (c *conn) closeWith(reason string, allowReconnect bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		if c.state != stateClosing {
			c.finish(reason)
		}
		return
	}
	c.enqueueMessageLocked(&hubproto.Message{Type: hubproto.TypeClose, Error: reason, HasError: reason != "", AllowReconnect: allowReconnect})
	c.state = stateClosing
	c.closeErr = reason
	detached := c.transport == transportWebSockets && c.ws == nil
	c.kickLocked()
	c.mu.Unlock()
	if detached {
		c.finish(reason)
	}
}

// abort ends the connection at once (server shutdown).
func (c *conn) abort() { c.finish("") }

// finish ends the connection: it leaves its hub, pending client-result calls
// fail, and the disconnected event goes upstream if it had connected.
func (c *conn) finish(errMsg string) {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	wasOpen := c.opened
	c.state = stateClosed
	close(c.done)
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.ackTimer != nil {
		c.ackTimer.Stop()
	}
	ws := c.ws
	c.ws = nil
	c.invokes = nil // waiters watch done
	c.replay = nil
	lp := c.transport == transportLongPolling
	if !lp {
		c.pending = nil
		c.spare = nil
	}
	c.mu.Unlock()

	c.s.mu.Lock()
	c.s.removeConnLocked(c)
	if !lp {
		delete(c.s.byToken, c.token)
	}
	c.s.mu.Unlock()
	if lp {
		time.AfterFunc(lpRetention, func() {
			c.s.mu.Lock()
			if c.s.byToken[c.token] == c {
				delete(c.s.byToken, c.token)
			}
			c.s.mu.Unlock()
		})
	}
	if ws != nil {
		_ = ws.CloseNow()
	}
	if wasOpen {
		c.s.trace.disconnected(c, errMsg)
		c.queueUpstream(upstreamJob{kind: jobDisconnected, errMsg: errMsg})
	}
}

// receive processes bytes from the client: the handshake first, then framed
// hub messages. Partial records wait for more input; the search for the end
// of a JSON record resumes where the previous piece of input left it, so a
// record arriving in many small pieces costs time linear in its size.
func (c *conn) receive(data []byte) {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.recvd = true
	proto := c.proto
	c.mu.Unlock()

	c.inbuf = append(c.inbuf, data...)
	buf := c.inbuf
	for len(buf) > 0 {
		n, next, err := hubproto.RecordEnd(proto, buf, c.inScanned, maxInput)
		c.inWork += int64(max(n, next) - c.inScanned)
		c.inScanned = next
		switch {
		case errors.Is(err, hubproto.ErrIncomplete):
			c.keepTail(buf)
			return
		case errors.Is(err, hubproto.ErrTooLarge):
			c.inbuf, c.inScanned = nil, 0
			c.closeWith("Connection closed with an error: a message from the client is too large; the limit is 16 MiB.", false)
			return
		case err != nil:
			c.inbuf, c.inScanned = nil, 0
			c.closeWith("Connection closed with an error: the client sent an invalid message.", false)
			return
		}
		record := buf[:n]
		buf = buf[n:]
		if proto == nil {
			req, _, err := hubproto.ParseHandshakeRequest(record)
			if err != nil {
				c.inbuf = nil
				c.failHandshake("The handshake request is invalid.")
				return
			}
			if proto = c.handshake(req); proto == nil {
				c.inbuf = nil
				return
			}
			continue
		}
		m, _, err := proto.ParseFrame(record)
		if err != nil {
			c.s.log.Debug("signalrtest: skipping a malformed message", "hub", c.hub, "connection", c.id, "err", err)
			continue
		}
		c.handle(proto, &m)
	}
	c.keepTail(buf)
}

// keepTail keeps only the unparsed tail of the input buffer; parsed messages
// were copied where kept. Bytes move only when records before them were
// consumed, so each byte moves at most once.
func (c *conn) keepTail(tail []byte) {
	if len(tail) == len(c.inbuf) {
		return // nothing consumed
	}
	rest := copy(c.inbuf, tail)
	c.inWork += int64(rest)
	c.inbuf = c.inbuf[:rest]
	if rest == 0 && cap(c.inbuf) > keepConnBuffer {
		c.inbuf = nil
	}
}

// failHandshake answers a bad handshake with an error and closes.
func (c *conn) failHandshake(msg string) {
	c.mu.Lock()
	c.pending = hubproto.AppendHandshakeResponse(c.pending, msg)
	c.state = stateClosing
	c.kickLocked()
	c.mu.Unlock()
}

// handshake validates the request, answers it, and opens the connection.
func (c *conn) handshake(req hubproto.HandshakeRequest) hubproto.Protocol {
	p, ok := hubproto.ProtocolByName(req.Protocol)
	if !ok {
		c.failHandshake(fmt.Sprintf("The protocol '%s' is not supported.", req.Protocol))
		return nil
	}
	if req.Version < 1 || req.Version > 2 {
		c.failHandshake(fmt.Sprintf("The server does not support version %d of the '%s' protocol.", req.Version, p.Name()))
		return nil
	}
	c.mu.Lock()
	if c.transport == transportSSE && p.Binary() {
		c.mu.Unlock()
		c.failHandshake(fmt.Sprintf("Cannot use the '%s' protocol on the current transport 'ServerSentEvents' since it does not support sending binary data.", p.Name()))
		return nil
	}
	if c.state != stateConnecting {
		c.mu.Unlock()
		return nil
	}
	c.proto = p
	c.stateful = c.wantState && c.transport == transportWebSockets && req.Version >= 2
	c.pending = hubproto.AppendHandshakeResponse(c.pending, "")
	c.state = stateOpen
	c.opened = true
	c.mu.Unlock()

	// Register before the client can see the handshake response: a client whose start()
	// resolved must already receive REST sends. Sends queued meanwhile follow the response.
	c.s.mu.Lock()
	if c.s.byToken[c.token] == c {
		c.s.addConnLocked(c)
	}
	c.s.mu.Unlock()
	c.mu.Lock()
	c.kickLocked()
	c.mu.Unlock()
	c.s.trace.connected(c)
	c.queueUpstream(upstreamJob{kind: jobConnected})
	return p
}

// handle acts on one message from the client.
func (c *conn) handle(p hubproto.Protocol, m *hubproto.Message) {
	if countedType(m.Type) && !c.acceptSequenced() {
		return // a replayed duplicate
	}
	switch m.Type {
	case hubproto.TypeInvocation:
		c.s.forwardInvocation(c, p, m)
	case hubproto.TypeStreamInvocation:
		if c.s.opts.StrictAzure {
			return
		}
		c.mu.Lock()
		cm := completionMessage(m.InvocationID, "Stream invocation is not supported in serverless mode.")
		c.enqueueMessageLocked(&cm)
		c.mu.Unlock()
	case hubproto.TypeCompletion:
		c.deliverCompletion(m)
	case hubproto.TypeClose:
		// The client is leaving; its error, if any, goes to the disconnected
		// event. A WebSocket gets what is queued and a clean close handshake.
		c.mu.Lock()
		graceful := c.transport == transportWebSockets && c.ws != nil && c.state == stateOpen
		if graceful {
			c.state = stateClosing
			c.closeErr = m.Error
			c.kickLocked()
		}
		c.mu.Unlock()
		if !graceful {
			c.finish(m.Error)
		}
	case hubproto.TypeAck:
		c.mu.Lock()
		i := 0
		for i < len(c.replay) && c.replay[i].seq <= m.SequenceID {
			c.replayBytes -= len(c.replay[i].data)
			i++
		}
		c.replay = append(c.replay[:0], c.replay[i:]...)
		c.mu.Unlock()
	case hubproto.TypeSequence:
		c.mu.Lock()
		if m.SequenceID > c.recvNext || m.SequenceID < 1 {
			c.mu.Unlock()
			c.closeWith("Sequence ID greater than amount of messages we've received.", false)
			return
		}
		c.recvNext = m.SequenceID
		c.mu.Unlock()
	}
	// Ping only refreshes lastRecv; StreamItem and CancelInvocation have no
	// meaning in serverless mode and are dropped like the service does.
}

// acceptSequenced applies stateful-reconnect numbering to an incoming message
// and reports whether it is new.
func (c *conn) acceptSequenced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stateful {
		return true
	}
	cur := c.recvNext
	c.recvNext++
	if cur <= c.recvLatest {
		return false
	}
	c.recvLatest = cur
	if c.ackTimer == nil {
		c.ackTimer = time.AfterFunc(ackDelay, c.sendAck)
	} else {
		c.ackTimer.Reset(ackDelay)
	}
	return true
}

func (c *conn) sendAck() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen && c.ws != nil {
		c.enqueueMessageLocked(&hubproto.Message{Type: hubproto.TypeAck, SequenceID: c.recvLatest})
	}
}

// writeRecords queues an upstream reply verbatim when it is whole framed
// records in the connection's protocol. A JSON reply without its trailing
// 0x1E, or an unframed MessagePack one, is framed first so the client does
// not fail on it.
func (c *conn) writeRecords(body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return nil
	}
	n, err := countRecords(c.proto, body)
	if err != nil {
		m, uerr := c.proto.Unmarshal(body)
		if uerr != nil {
			return fmt.Errorf("the upstream reply is not a %s hub message: %w", c.proto.Name(), err)
		}
		if body, err = c.proto.AppendFrame(nil, &m); err != nil {
			return err
		}
		n = 1
	}
	c.enqueueLocked(body, n)
	return nil
}

// countRecords checks that b is whole framed records and counts the sequenced ones.
func countRecords(p hubproto.Protocol, b []byte) (int, error) {
	count := 0
	for len(b) > 0 {
		m, n, err := p.ParseFrame(b)
		if err != nil {
			return 0, err
		}
		if countedType(m.Type) {
			count++
		}
		b = b[n:]
	}
	return count, nil
}

// invokeClient sends an invocation with an id and waits for the client's completion.
func (c *conn) invokeClient(ctx context.Context, m *hubproto.Message) (hubproto.Message, error) {
	ch := make(chan hubproto.Message, 1)
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return hubproto.Message{}, errors.New("the connection is closing")
	}
	c.invSeq++
	id := "s" + strconv.Itoa(c.invSeq)
	if c.invokes == nil {
		c.invokes = map[string]chan hubproto.Message{}
	}
	c.invokes[id] = ch
	inv := *m
	inv.InvocationID = id
	c.enqueueMessageLocked(&inv)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.invokes, id)
		c.mu.Unlock()
	}()
	select {
	case res := <-ch:
		return res, nil
	case <-c.done:
		return hubproto.Message{}, errors.New("the connection closed before it returned a result")
	case <-ctx.Done():
		return hubproto.Message{}, errors.New("the request ended before the client returned a result")
	case <-c.s.ctx.Done():
		return hubproto.Message{}, errors.New("the server is closing")
	}
}

func (c *conn) deliverCompletion(m *hubproto.Message) {
	c.mu.Lock()
	ch := c.invokes[m.InvocationID]
	delete(c.invokes, m.InvocationID)
	c.mu.Unlock()
	if ch == nil {
		return
	}
	res := hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: m.InvocationID, Error: m.Error, HasError: m.HasError}
	if m.HasResult {
		// The result aliases the input buffer; keep a JSON copy.
		if b, err := m.Result.JSON(); err == nil {
			res.Result, res.HasResult = hubproto.JSONValue(bytes.Clone(b)), true
		}
	}
	ch <- res
}
