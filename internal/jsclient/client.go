package jsclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Transport names a SignalR transport, spelled as the JS client's HttpTransportType.
type Transport string

// Transports the official client speaks.
const (
	WebSockets       Transport = "WebSockets"
	ServerSentEvents Transport = "ServerSentEvents"
	LongPolling      Transport = "LongPolling"
)

// Protocol names a hub protocol, spelled as on the wire in the handshake.
type Protocol string

// Hub protocols the official client speaks.
const (
	JSON        Protocol = "json"
	MessagePack Protocol = "messagepack"
)

// Combination is one transport × protocol pair.
type Combination struct {
	Transport Transport
	Protocol  Protocol
}

// Name is a subtest name, e.g. "WebSockets/messagepack".
func (c Combination) Name() string { return string(c.Transport) + "/" + string(c.Protocol) }

// Combinations lists every pair the official client supports: all three transports with
// JSON, and MessagePack on WebSockets and long polling (the client refuses MessagePack over
// Server-Sent Events, which carry text only).
func Combinations() []Combination {
	return []Combination{
		{WebSockets, JSON},
		{WebSockets, MessagePack},
		{ServerSentEvents, JSON},
		{LongPolling, JSON},
		{LongPolling, MessagePack},
	}
}

// Config describes one connection of the official JS client.
type Config struct {
	// URL is what the application passes to withUrl: a hub URL the client negotiates
	// against (for the service, http://host:port/client/?hub=chat). Required.
	URL string
	// Transport is the only transport the client may use; "" means WebSockets.
	Transport Transport
	// Protocol is the hub protocol; "" means JSON.
	Protocol Protocol
	// AccessToken, when set, is returned by the client's accessTokenFactory.
	AccessToken string
	// Headers are sent on every HTTP request (and the WebSocket upgrade, in Node).
	Headers map[string]string
	// StatefulReconnect turns on withStatefulReconnect().
	StatefulReconnect bool
	// AutomaticReconnect turns on withAutomaticReconnect(); ReconnectDelays replaces the
	// client's default schedule (0, 2, 10, 30 s) when non-nil.
	AutomaticReconnect bool
	ReconnectDelays    []time.Duration
	// Targets are the method names the client listens on before it starts; every invocation
	// of one arrives as an EventMessage.
	Targets []string
	// Results registers handlers that also return a value, answering server-to-client
	// invocations that carry an invocation id (client results).
	Results map[string]any
	// ServerTimeout and KeepAliveInterval override the client's 30 s and 15 s when non-zero.
	ServerTimeout     time.Duration
	KeepAliveInterval time.Duration
	// LogLevel is the client's minimum log level ("Trace" … "None"); logs go to the test log
	// when the test fails. "" means "Warning".
	LogLevel string
	// Timeout bounds waits whose context has no deadline; 0 means 15 s.
	Timeout time.Duration
}

// EventKind says what an Event reports.
type EventKind string

// Events the driver reports.
const (
	EventMessage      EventKind = "message"      // an invocation of a listened target
	EventClose        EventKind = "close"        // onclose; Error is the client's error, if any
	EventReconnecting EventKind = "reconnecting" // onreconnecting (automatic reconnect)
	EventReconnected  EventKind = "reconnected"  // onreconnected; ConnectionID is the new id
	EventStarted      EventKind = "started"      // the initial start() succeeded
	EventStartFailed  EventKind = "startFailed"  // the initial start() failed
)

// Event is one thing the JS client observed.
type Event struct {
	Kind         EventKind         `json:"event"`
	Target       string            `json:"target,omitempty"`
	Args         []json.RawMessage `json:"args,omitempty"`
	Error        string            `json:"error,omitempty"`
	ConnectionID string            `json:"connectionId,omitempty"`
}

// Arg decodes argument i of a message event into dst.
func (e Event) Arg(i int, dst any) error {
	if i < 0 || i >= len(e.Args) {
		return fmt.Errorf("jsclient: argument %d requested, event has %d", i, len(e.Args))
	}
	return json.Unmarshal(e.Args[i], dst)
}

// IsMessage returns a predicate for WaitFor that matches invocations of target.
func IsMessage(target string) func(Event) bool {
	return func(e Event) bool { return e.Kind == EventMessage && strings.EqualFold(e.Target, target) }
}

// IsKind returns a predicate for WaitFor that matches events of kind k.
func IsKind(k EventKind) func(Event) bool {
	return func(e Event) bool { return e.Kind == k }
}

// Binary is a byte string crossing the JSON-lines boundary: as an argument it reaches the JS
// client as a Uint8Array (MessagePack sends it as bin), and binary values the client receives
// decode into it.
type Binary []byte

type binaryJSON struct {
	B64 string `json:"$binary"`
}

// MarshalJSON implements json.Marshaler.
func (b Binary) MarshalJSON() ([]byte, error) {
	return json.Marshal(binaryJSON{base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Binary) UnmarshalJSON(data []byte) error {
	var v binaryJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("jsclient: binary value expected as {\"$binary\": base64}: %w", err)
	}
	out, err := base64.StdEncoding.DecodeString(v.B64)
	if err != nil {
		return fmt.Errorf("jsclient: binary value is not base64: %w", err)
	}
	*b = out
	return nil
}

// Client drives one official JS client connection in a node process.
type Client struct {
	p            *proc[Event]
	connectionID string
}

type driverConfig struct {
	URL                 string            `json:"url"`
	Transport           Transport         `json:"transport,omitempty"`
	Protocol            Protocol          `json:"protocol,omitempty"`
	AccessToken         string            `json:"accessToken,omitempty"`
	Headers             map[string]string `json:"headers,omitempty"`
	StatefulReconnect   bool              `json:"statefulReconnect,omitempty"`
	AutomaticReconnect  bool              `json:"automaticReconnect,omitempty"`
	ReconnectDelaysMs   []int64           `json:"reconnectDelaysMs,omitempty"`
	Targets             []string          `json:"targets,omitempty"`
	Results             map[string]any    `json:"results,omitempty"`
	ServerTimeoutMs     int64             `json:"serverTimeoutMs,omitempty"`
	KeepAliveIntervalMs int64             `json:"keepAliveIntervalMs,omitempty"`
	LogLevel            string            `json:"logLevel,omitempty"`
}

// Start launches the JS client and waits until its connection has started; a failed start
// fails the test. The process is stopped in t.Cleanup.
func Start(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := Connect(t, cfg)
	if err != nil {
		t.Fatalf("jsclient: %s over %s did not start: %v", orDefault(string(cfg.Protocol), "json"), orDefault(string(cfg.Transport), "WebSockets"), err)
	}
	return c
}

// Connect launches the JS client and waits for its start to finish. When start() rejects,
// it returns the client together with a *JSError carrying the JS error text, so tests can
// assert on rejections (expired tokens, refused negotiates). Skips or fails like Require
// when Node is unavailable.
func Connect(t testing.TB, cfg Config) (*Client, error) {
	t.Helper()
	env := Require(t)
	if cfg.URL == "" {
		return nil, errors.New("jsclient: Config.URL is empty; want the hub URL the client negotiates against")
	}
	dc := driverConfig{
		URL: cfg.URL, Transport: cfg.Transport, Protocol: cfg.Protocol, AccessToken: cfg.AccessToken,
		Headers: cfg.Headers, StatefulReconnect: cfg.StatefulReconnect, AutomaticReconnect: cfg.AutomaticReconnect,
		Targets: cfg.Targets, Results: cfg.Results, LogLevel: cfg.LogLevel,
		ServerTimeoutMs: cfg.ServerTimeout.Milliseconds(), KeepAliveIntervalMs: cfg.KeepAliveInterval.Milliseconds(),
	}
	if cfg.ReconnectDelays != nil {
		dc.ReconnectDelaysMs = make([]int64, len(cfg.ReconnectDelays))
		for i, d := range cfg.ReconnectDelays {
			dc.ReconnectDelaysMs[i] = d.Milliseconds()
		}
	}
	arg, err := json.Marshal(dc)
	if err != nil {
		return nil, fmt.Errorf("jsclient: Config.Results is not JSON-encodable: %w", err)
	}
	name := "node client (" + orDefault(string(cfg.Transport), "WebSockets") + "/" + orDefault(string(cfg.Protocol), "json") + ")"
	p, err := startProc[Event](t, env, name, filepath.Join(env.Dir, "driver.js"), cfg.Timeout, string(arg))
	if err != nil {
		return nil, err
	}
	c := &Client{p: p}
	ev, err := p.take(context.Background(), "start", func(e Event) bool {
		return e.Kind == EventStarted || e.Kind == EventStartFailed
	})
	if err != nil {
		return c, err
	}
	if ev.Kind == EventStartFailed {
		return c, &JSError{Op: "start", Message: ev.Error}
	}
	c.connectionID = ev.ConnectionID
	return c, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ConnectionID is the connection id the client got at its initial start.
func (c *Client) ConnectionID() string { return c.connectionID }

// Next removes and returns the oldest event, waiting for one.
func (c *Client) Next(ctx context.Context) (Event, error) {
	return c.p.take(ctx, "next event", func(Event) bool { return true })
}

// WaitFor removes and returns the oldest event match accepts, waiting for one. Events it
// passes over stay queued, in order, for later calls.
func (c *Client) WaitFor(ctx context.Context, match func(Event) bool) (Event, error) {
	return c.p.take(ctx, "matching event", match)
}

// Pending returns a copy of the queued, not yet consumed events without waiting.
func (c *Client) Pending() []Event {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return append([]Event(nil), c.p.events...)
}

// Send calls connection.send(target, ...args): a fire-and-forget invocation. It returns once
// the client has handed the message to its transport.
func (c *Client) Send(ctx context.Context, target string, args ...any) error {
	_, err := c.p.call(ctx, "send", map[string]any{"target": target, "args": argsOrEmpty(args)})
	return err
}

// Invoke calls connection.invoke(target, ...args) and returns the result as JSON (null for
// void). A server error completion comes back as a *JSError whose Message is the client's
// error text.
func (c *Client) Invoke(ctx context.Context, target string, args ...any) (json.RawMessage, error) {
	raw, err := c.p.call(ctx, "invoke", map[string]any{"target": target, "args": argsOrEmpty(args)})
	if err != nil {
		return nil, err
	}
	var r struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("jsclient: invoke: bad reply: %w", err)
	}
	return r.Result, nil
}

// Stream calls connection.stream(target, ...args) and collects the items until the stream
// completes; a stream error comes back as a *JSError.
func (c *Client) Stream(ctx context.Context, target string, args ...any) ([]json.RawMessage, error) {
	raw, err := c.p.call(ctx, "stream", map[string]any{"target": target, "args": argsOrEmpty(args)})
	if err != nil {
		return nil, err
	}
	var r struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("jsclient: stream: bad reply: %w", err)
	}
	return r.Items, nil
}

// On starts listening on target; its invocations arrive as EventMessage.
func (c *Client) On(ctx context.Context, target string) error {
	_, err := c.p.call(ctx, "on", map[string]any{"target": target})
	return err
}

// OnResult listens on target and answers server-to-client invocations with result.
func (c *Client) OnResult(ctx context.Context, target string, result any) error {
	_, err := c.p.call(ctx, "on", map[string]any{"target": target, "hasResult": true, "result": result})
	return err
}

// Off stops listening on target.
func (c *Client) Off(ctx context.Context, target string) error {
	_, err := c.p.call(ctx, "off", map[string]any{"target": target})
	return err
}

// Stop calls connection.stop(); the close event follows.
func (c *Client) Stop(ctx context.Context) error {
	_, err := c.p.call(ctx, "stop", nil)
	return err
}

// Restart calls connection.start() again after a stop or close and returns the new
// connection id.
func (c *Client) Restart(ctx context.Context) (string, error) {
	raw, err := c.p.call(ctx, "start", nil)
	if err != nil {
		return "", err
	}
	var r struct {
		ConnectionID string `json:"connectionId"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", fmt.Errorf("jsclient: start: bad reply: %w", err)
	}
	return r.ConnectionID, nil
}

// State returns connection.state ("Connected", "Reconnecting", …) and the current
// connection id.
func (c *Client) State(ctx context.Context) (state, connectionID string, err error) {
	raw, err := c.p.call(ctx, "state", nil)
	if err != nil {
		return "", "", err
	}
	var r struct {
		State        string `json:"state"`
		ConnectionID string `json:"connectionId"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", "", fmt.Errorf("jsclient: state: bad reply: %w", err)
	}
	return r.State, r.ConnectionID, nil
}

// SetAccessToken replaces what the accessTokenFactory returns from now on (the client asks
// for a token on every negotiate and transport connect).
func (c *Client) SetAccessToken(ctx context.Context, token string) error {
	_, err := c.p.call(ctx, "token", map[string]any{"token": token})
	return err
}

// DropWebSocket kills the client's current WebSocket without a close handshake, as a network
// failure would. Only valid while connected over WebSockets.
func (c *Client) DropWebSocket(ctx context.Context) error {
	_, err := c.p.call(ctx, "drop", nil)
	return err
}

func argsOrEmpty(args []any) []any {
	if args == nil {
		return []any{}
	}
	return args
}
