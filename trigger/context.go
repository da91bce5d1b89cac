package trigger

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// InvocationContext describes one upstream event: what the Azure Functions
// SignalR extension hands a function, with the same PascalCase JSON names a
// custom handler receives from the Functions host.
//
// Arguments holds the invocation arguments in JSON form (messages category
// only). Error is the disconnect reason (disconnected event only; empty on a
// clean close). Headers holds every request header, duplicate values
// comma-joined; Query holds the client's connect query with repeated keys
// comma-joined; Claims holds the user's claims, the first value winning for
// a repeated type (a value containing ',' arrives whole; see Parse for what
// the service's claims header can and cannot express). Parse leaves credentials out: the Authorization and
// X-ASRS-Signature headers and the client's access_token.
type InvocationContext struct {
	Arguments    []json.RawMessage `json:"Arguments"`
	Error        string            `json:"Error"`
	Category     string            `json:"Category"`
	Event        string            `json:"Event"`
	Hub          string            `json:"Hub"`
	ConnectionID string            `json:"ConnectionId"`
	UserID       string            `json:"UserId"`
	Headers      map[string]string `json:"Headers"`
	Query        map[string]string `json:"Query"`
	Claims       map[string]string `json:"Claims"`
}

// MarshalJSON writes the shape the Functions host sends: all ten keys in the
// extension's order, unset values as null.
func (c InvocationContext) MarshalJSON() ([]byte, error) {
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return json.Marshal(struct {
		Arguments    []json.RawMessage `json:"Arguments"`
		Error        *string           `json:"Error"`
		Category     *string           `json:"Category"`
		Event        *string           `json:"Event"`
		Hub          *string           `json:"Hub"`
		ConnectionID *string           `json:"ConnectionId"`
		UserID       *string           `json:"UserId"`
		Headers      map[string]string `json:"Headers"`
		Query        map[string]string `json:"Query"`
		Claims       map[string]string `json:"Claims"`
	}{c.Arguments, str(c.Error), str(c.Category), str(c.Event), str(c.Hub), str(c.ConnectionID),
		str(c.UserID), c.Headers, c.Query, c.Claims})
}

// Header returns the value of the named header, matching the name
// case-insensitively (the Functions host keeps the service's spelling, Go's
// net/http canonicalizes it).
func (c *InvocationContext) Header(name string) string {
	if v, ok := c.Headers[name]; ok {
		return v
	}
	for k, v := range c.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Bind decodes the invocation arguments into dst, in order: pointers to
// typed values, or nil to skip one. The number of dst values must equal the
// number of arguments the client sent; errors name the argument index.
func (c *InvocationContext) Bind(dst ...any) error {
	vals := make([]hubproto.Value, len(c.Arguments))
	for i, a := range c.Arguments {
		vals[i] = hubproto.JSONValue(a)
	}
	return bindValues(vals, dst)
}

// upstreamBody reads the body the way the extension does: a connected
// request's body is never read (SignalRConnectMethodExecutor.cs), every
// other body is read whole, up to limit.
func upstreamBody(r *http.Request, req request, limit int64) ([]byte, error) {
	if req.category == CategoryConnections && req.event == EventConnected {
		return nil, nil
	}
	return readBody(r, limit)
}

// connectionBody applies a connections-category body to inv. A disconnected
// body must be the JSON close message {"type":11[,"error":…]}: the extension
// parses it with its JSON serverless protocol and fails the request (500)
// when it is empty, MessagePack (whose serverless parser reads only
// invocations) or another message type (SignalRDisconnectMethodExecutor.cs,
// JsonServerlessProtocol.cs, MessagePackServerlessProtocol.cs).
func connectionBody(inv *Invocation, req request, body []byte) error {
	if req.event != EventDisconnected {
		return nil
	}
	if req.proto.Binary() {
		return wrapf(ErrMalformedBody, "disconnected body is MessagePack: want the JSON close message {\"type\":11}")
	}
	m, err := hubproto.UnmarshalLimited(req.proto, body, MaxArguments)
	if err != nil {
		return wrapf(ErrMalformedBody, "disconnected body: %v; want the JSON close message {\"type\":11}", err)
	}
	if m.Type != hubproto.TypeCloseConnection {
		return wrapf(ErrMalformedBody, "disconnected body has message type %v: want the close message (11)", m.Type)
	}
	inv.Error = m.Error
	return nil
}
