package signalrtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/golang-jwt/jwt/v5"
)

// maxUpstreamReply is the service's limit on an invocation reply.
const maxUpstreamReply = 16 << 20

type jobKind uint8

const (
	jobConnected jobKind = iota
	jobDisconnected
	jobMessage
)

// upstreamJob is one event waiting for delivery; each connection's events go
// out one at a time, in order, so a slow upstream delays only its own client.
type upstreamJob struct {
	kind         jobKind
	errMsg       string // disconnected
	event        string // message target
	invocationID string
	body         []byte
	contentType  string
}

func (j *upstreamJob) categoryEvent() (string, string) {
	switch j.kind {
	case jobConnected:
		return "connections", "connected"
	case jobDisconnected:
		return "connections", "disconnected"
	}
	return "messages", j.event
}

// maxUpstreamQueue bounds the bytes of invocations one connection may have
// waiting for its upstream; upstreamJobOverhead is what a queued job costs
// besides its body, so that many tiny invocations count too.
const (
	maxUpstreamQueue    = 32 << 20
	upstreamJobOverhead = 128
)

// queueUpstream queues an event for the connection's upstream, if a rule
// matches. A client whose invocations pile up beyond maxUpstreamQueue while
// the upstream is slow is closed: the queue must not grow without bound.
func (c *conn) queueUpstream(j upstreamJob) {
	cat, ev := j.categoryEvent()
	if matchUpstream(c.s.upstreamRules(), c.hub, cat, ev) == nil {
		c.s.trace.noUpstream(c, cat, ev, j.invocationID)
		return
	}
	cost := upstreamJobOverhead + cap(j.body)
	c.mu.Lock()
	if j.kind == jobMessage {
		if c.state != stateOpen {
			c.mu.Unlock()
			return // closing: nothing more goes upstream but the disconnected event
		}
		if c.upqBytes+cost > maxUpstreamQueue {
			c.mu.Unlock()
			c.s.log.Warn("signalrtest: upstream queue full; closing the connection", "hub", c.hub, "connection", c.id)
			c.closeWith("Connection closed with an error: more than 32 MiB of invocations are queued for the upstream, which answers slower than the client sends.", false)
			return
		}
	}
	c.upq = append(c.upq, j)
	c.upqBytes += cost
	if !c.upRunning {
		c.upRunning = true
		if !c.s.spawn(c.runUpstream) {
			c.upRunning = false
			c.upq = nil
			c.upqBytes = 0
		}
	}
	c.mu.Unlock()
}

func (c *conn) runUpstream() {
	for {
		c.mu.Lock()
		if len(c.upq) == 0 {
			c.upRunning = false
			c.upq = nil
			c.mu.Unlock()
			return
		}
		j := c.upq[0]
		c.upq[0] = upstreamJob{}
		c.upq = c.upq[1:]
		c.mu.Unlock()
		c.s.deliver(c, &j)
		c.mu.Lock()
		c.upqBytes -= upstreamJobOverhead + cap(j.body) // counted until delivered: deliver holds the body
		c.mu.Unlock()
	}
}

// upstreamQueued reports the bytes queued for the upstream by the connection
// with the given id, for tests.
func (s *Server) upstreamQueued(hub, id string) (int, bool) {
	s.mu.Lock()
	h := s.hubLocked(normHub(hub), false)
	var c *conn
	if h != nil {
		c = h.conns[id]
	}
	s.mu.Unlock()
	if c == nil {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upqBytes, true
}

// forwardInvocation sends a client invocation upstream in the client's protocol.
func (s *Server) forwardInvocation(c *conn, p hubproto.Protocol, m *hubproto.Message) {
	s.trace.invoked(c, m)
	if matchUpstream(s.upstreamRules(), c.hub, "messages", m.Target) == nil {
		s.trace.noUpstream(c, "messages", m.Target, m.InvocationID)
		s.log.Debug("signalrtest: no upstream rule matches; dropping the invocation", "hub", c.hub, "event", m.Target)
		if m.InvocationID != "" && !s.opts.StrictAzure {
			cm := completionMessage(m.InvocationID, noUpstreamError(m.Target, c.hub))
			c.mu.Lock()
			c.enqueueMessageLocked(&cm)
			c.mu.Unlock()
		}
		return
	}
	body, err := p.Marshal(m) // a fresh copy: m aliases the input buffer
	if err != nil {
		s.log.Warn("signalrtest: cannot re-encode an invocation", "hub", c.hub, "err", err)
		return
	}
	ct := "application/json"
	if p.Binary() {
		ct = "application/x-msgpack"
	}
	c.queueUpstream(upstreamJob{kind: jobMessage, event: m.Target, invocationID: m.InvocationID, body: body, contentType: ct})
}

// deliver POSTs one event and, for an invoke(), turns the reply into the
// client's Completion (spec §4.5).
func (s *Server) deliver(c *conn, j *upstreamJob) {
	if s.ctx.Err() != nil {
		return
	}
	cat, ev := j.categoryEvent()
	t := matchUpstream(s.upstreamRules(), c.hub, cat, ev)
	if t == nil { // the rules changed since the event was queued
		if !s.opts.StrictAzure {
			c.completeInvocation(j, noUpstreamError(ev, c.hub))
		}
		return
	}
	body, ct := j.body, j.contentType
	switch j.kind {
	case jobConnected:
		body, ct = []byte(`{"type":10}`), "application/json"
	case jobDisconnected:
		body, ct = disconnectedBody(j.errMsg), "application/json"
	}
	target := t.expand(c.hub, cat, ev)
	start := time.Now()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.UpstreamTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	call := UpstreamCall{Time: s.now(), URL: target, Hub: c.hub, Category: cat, Event: ev, ConnectionID: c.id, Body: body}
	if err != nil {
		call.Err = "invalid upstream URL"
		s.recordUpstream(call)
		s.trace.upstream(c, j, &call, time.Since(start), nil)
		c.completeInvocation(j, "Invocation failed, error: the upstream URL is invalid.")
		return
	}
	h := req.Header
	h.Set("Content-Type", ct)
	h.Set("X-ASRS-Connection-Id", c.id)
	h.Set("X-ASRS-Hub", c.hub)
	h.Set("X-ASRS-Category", cat)
	h.Set("X-ASRS-Event", ev)
	if c.userID != "" {
		h.Set("X-ASRS-User-Id", c.userID)
	}
	if len(c.claims) > 0 {
		parts := make([]string, len(c.claims))
		for i, cl := range c.claims {
			parts[i] = cl.typ + ": " + cl.value
		}
		h.Set("X-ASRS-User-Claims", strings.Join(parts, ", "))
	}
	if c.query != "" && c.query != "?" {
		h.Set("X-ASRS-Client-Query", c.query)
	}
	h.Set("X-ASRS-Signature", signature(s.keys, c.id))
	if t.Auth != nil && strings.EqualFold(t.Auth.Type, "ManagedIdentity") {
		now := s.now()
		tok, err := s.signToken(jwt.MapClaims{"aud": t.Auth.ManagedIdentity.Resource, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		if err == nil {
			h.Set("Authorization", "Bearer "+tok)
		}
	}
	call.Header = h.Clone()

	resp, err := s.upstream.Do(req)
	if err != nil {
		// The URL may carry a function key (?code=…): keep it out of errors and logs.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			uerr.URL = redactURL(target)
		}
		call.Err = err.Error()
		s.recordUpstream(call)
		s.trace.upstream(c, j, &call, time.Since(start), nil)
		if s.ctx.Err() != nil {
			return
		}
		s.log.Warn("signalrtest: upstream request failed", "url", redactURL(target), "hub", c.hub, "event", ev, "err", err)
		msg := "Invocation failed, error: " + err.Error() + "."
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "Invocation failed, response cancelled."
		}
		c.completeInvocation(j, msg)
		return
	}
	defer resp.Body.Close()
	call.Status = resp.StatusCode
	reply, rerr := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamReply+1))
	s.recordUpstream(call)
	s.trace.upstream(c, j, &call, time.Since(start), reply)
	if j.kind != jobMessage || j.invocationID == "" {
		return // connection events and send() replies are only logged
	}
	switch {
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent:
		c.completeInvocation(j, "Invocation failed, status code "+strconv.Itoa(resp.StatusCode))
	case rerr != nil:
		c.completeInvocation(j, "Invocation failed, response cancelled.")
	case len(reply) > maxUpstreamReply:
		c.completeInvocation(j, "Invocation failed, response too large.")
	case len(reply) == 0:
		cm := completionMessage(j.invocationID, "")
		c.mu.Lock()
		c.enqueueMessageLocked(&cm)
		c.mu.Unlock()
	default:
		if err := c.writeRecords(reply); err != nil {
			s.log.Warn("signalrtest: upstream reply is not a hub message", "url", redactURL(target), "hub", c.hub, "event", ev, "err", err)
			c.completeInvocation(j, "Invocation failed, error: "+err.Error()+".")
		}
	}
}

// completeInvocation answers a client invoke() with an error Completion.
func (c *conn) completeInvocation(j *upstreamJob, msg string) {
	if j.kind != jobMessage || j.invocationID == "" {
		return
	}
	cm := completionMessage(j.invocationID, msg)
	c.mu.Lock()
	if c.state == stateOpen {
		c.enqueueMessageLocked(&cm)
	}
	c.mu.Unlock()
}

// disconnectedBody is {"Type":11} or {"Type":11,"Error":"…"} (PascalCase, as the service).
func disconnectedBody(errMsg string) []byte {
	if errMsg == "" {
		return []byte(`{"Type":11}`)
	}
	b, _ := json.Marshal(errMsg)
	return []byte(`{"Type":11,"Error":` + string(b) + `}`)
}

// redactURL drops the query, which may hold a function key.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.User = nil
	return u.String()
}

func noUpstreamError(event, hub string) string {
	return fmt.Sprintf("No upstream is configured for event '%s' of hub '%s'.", event, hub)
}
