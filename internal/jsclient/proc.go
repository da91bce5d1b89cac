package jsclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// JSError is an error reported by the JavaScript side: a rejected invoke, a failed start, a
// command the driver could not carry out. Message is the JS error's message, verbatim.
type JSError struct {
	Op      string
	Message string
}

func (e *JSError) Error() string { return "jsclient: " + e.Op + ": " + e.Message }

// ErrExited is returned when the driver process ended while a caller was waiting on it.
var ErrExited = errors.New("jsclient: the node process exited")

// defaultTimeout bounds every wait whose context has no deadline, so a test that forgets one
// fails with a message instead of hanging until the go test timeout.
const defaultTimeout = 15 * time.Second

// maxLine bounds one JSON line from a driver (large payload tests send megabytes).
const maxLine = 64 << 20

// proc runs one driver script and speaks its JSON-lines protocol: numbered commands in,
// replies routed back to their caller, every other line queued as an event of type E.
type proc[E any] struct {
	t       testing.TB
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	timeout time.Duration
	done    chan struct{} // closed when stdout is drained and the process has exited

	writeMu sync.Mutex // one command line at a time

	mu         sync.Mutex
	nextID     int
	pending    map[int]chan json.RawMessage
	events     []E
	changed    chan struct{} // closed and replaced whenever events grow or the process exits
	exited     bool
	exitErr    error
	stderr     bytes.Buffer
	transcript []string
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startProc spawns node on script with args; the process is stopped in t.Cleanup, and its
// stderr and the line transcript go to the test log when the test failed.
func startProc[E any](t testing.TB, env Env, name, script string, timeout time.Duration, args ...string) (*proc[E], error) {
	t.Helper()
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	p := &proc[E]{
		t:       t,
		name:    name,
		timeout: timeout,
		done:    make(chan struct{}),
		pending: map[int]chan json.RawMessage{},
		changed: make(chan struct{}),
	}
	p.cmd = exec.Command(env.Node, append([]string{script}, args...)...)
	p.cmd.Dir = env.Dir
	// A grandchild holding stderr open must not keep Wait (and so the test) hanging.
	p.cmd.WaitDelay = 2 * time.Second
	p.cmd.Stderr = lockedWriter{&p.mu, &p.stderr}
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("jsclient: stdin pipe: %w", err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("jsclient: stdout pipe: %w", err)
	}
	p.stdin = stdin
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("jsclient: start node: %w", err)
	}
	go p.read(stdout)
	t.Cleanup(p.close)
	return p, nil
}

func (p *proc[E]) read(stdout io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		line := sc.Bytes()
		var head struct {
			Event string `json:"event"`
			ID    int    `json:"id"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			p.mu.Lock()
			p.transcript = append(p.transcript, "stdout (not JSON): "+string(line))
			p.mu.Unlock()
			continue
		}
		raw := append(json.RawMessage(nil), line...)
		p.mu.Lock()
		p.transcript = append(p.transcript, string(raw))
		if head.Event == "reply" {
			if ch, ok := p.pending[head.ID]; ok {
				delete(p.pending, head.ID)
				ch <- raw
			}
			p.mu.Unlock()
			continue
		}
		var ev E
		if err := json.Unmarshal(raw, &ev); err != nil {
			p.transcript = append(p.transcript, "(undecodable event: "+err.Error()+")")
			p.mu.Unlock()
			continue
		}
		p.events = append(p.events, ev)
		p.signalLocked()
		p.mu.Unlock()
	}
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited = true
	p.exitErr = err
	if sc.Err() != nil {
		p.transcript = append(p.transcript, "stdout read error: "+sc.Err().Error())
	}
	for id, ch := range p.pending {
		delete(p.pending, id)
		close(ch)
	}
	p.signalLocked()
	p.mu.Unlock()
}

func (p *proc[E]) signalLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// withTimeout applies the default bound when ctx has no deadline of its own.
func (p *proc[E]) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, p.timeout)
}

// call sends one command and waits for its reply. A reply carrying "error" becomes a *JSError.
func (p *proc[E]) call(ctx context.Context, cmd string, fields map[string]any) (json.RawMessage, error) {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	msg := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		msg[k] = v
	}
	ch := make(chan json.RawMessage, 1)
	p.mu.Lock()
	if p.exited {
		p.mu.Unlock()
		return nil, fmt.Errorf("%s %s: %w", p.name, cmd, ErrExited)
	}
	p.nextID++
	id := p.nextID
	p.pending[id] = ch
	p.mu.Unlock()
	msg["id"], msg["cmd"] = id, cmd
	line, err := json.Marshal(msg)
	if err != nil {
		p.forget(id)
		return nil, fmt.Errorf("jsclient: %s: arguments are not JSON-encodable: %w", cmd, err)
	}
	p.writeMu.Lock()
	_, err = p.stdin.Write(append(line, '\n'))
	p.writeMu.Unlock()
	if err != nil {
		p.forget(id)
		return nil, fmt.Errorf("jsclient: %s: write command: %w", cmd, err)
	}
	select {
	case raw, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s %s: %w", p.name, cmd, ErrExited)
		}
		var r struct {
			Error *string `json:"error"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("jsclient: %s: bad reply %s: %w", cmd, raw, err)
		}
		if r.Error != nil {
			return raw, &JSError{Op: cmd, Message: *r.Error}
		}
		return raw, nil
	case <-ctx.Done():
		p.forget(id)
		return nil, fmt.Errorf("jsclient: %s: no reply from node: %w", cmd, ctx.Err())
	}
}

func (p *proc[E]) forget(id int) {
	p.mu.Lock()
	delete(p.pending, id)
	p.mu.Unlock()
}

// take removes and returns the first queued event that match accepts, waiting for one to
// arrive; events it skips stay queued in order for later calls.
func (p *proc[E]) take(ctx context.Context, what string, match func(E) bool) (E, error) {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	for {
		p.mu.Lock()
		for i, ev := range p.events {
			if match(ev) {
				p.events = append(p.events[:i:i], p.events[i+1:]...)
				p.mu.Unlock()
				return ev, nil
			}
		}
		if p.exited {
			p.mu.Unlock()
			var zero E
			return zero, fmt.Errorf("%s: waiting for %s: %w", p.name, what, ErrExited)
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			var zero E
			return zero, fmt.Errorf("jsclient: %s: waiting for %s: %w (queued: %s)", p.name, what, ctx.Err(), p.queued())
		}
	}
}

// queued describes the events left unconsumed, for timeout messages.
func (p *proc[E]) queued() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.events) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(p.events))
	for _, ev := range p.events {
		b, _ := json.Marshal(ev)
		if len(b) > 300 {
			b = append(b[:300:300], "…"...)
		}
		parts = append(parts, string(b))
	}
	return strings.Join(parts, ", ")
}

// close ends the driver: closing stdin asks it to stop the connection and exit; a driver that
// does not exit promptly is killed.
func (p *proc[E]) close() {
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	if p.t.Failed() {
		p.mu.Lock()
		p.t.Logf("%s stderr:\n%s", p.name, p.stderr.String())
		p.t.Logf("%s lines:\n%s", p.name, strings.Join(p.transcript, "\n"))
		p.mu.Unlock()
	}
}
