package bindings

import (
	"fmt"
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// Invocation is one call of a function: the inputs the host sent and the outputs being built,
// read and written through the function's declared bindings. The accessors without a name
// (HTTPRequest, ConnectionInfo, Send…) use the function's only binding of their type; Input,
// Metadata and Output name a binding, for functions with several of one type or bindings of
// other extensions.
type Invocation struct {
	// Function is the function name.
	Function string
	// ID is the host's invocation id (X-Azure-Functions-InvocationId).
	ID string

	fn      *function
	req     *invokeRequest  // the host's payload; synthesised in forwarding mode
	resp    *invokeResponse // sent back to the host when the handler returns nil
	httpReq *HTTPRequest
	ic      trigger.InvocationContext // decoded once, for middleware and handler alike
	hasIC   bool
}

// HTTPRequest decodes the HTTP trigger.
func (inv *Invocation) HTTPRequest() (*HTTPRequest, error) {
	if inv.httpReq != nil {
		return inv.httpReq, nil
	}
	if inv.fn.httpIn == "" {
		return nil, fmt.Errorf("bindings: function %q has no HTTP trigger", inv.Function)
	}
	req, err := inv.req.httpRequest(inv.fn.httpIn)
	if err != nil {
		return nil, err
	}
	inv.httpReq = req
	return req, nil
}

// ConnectionInfo decodes the function's signalRConnectionInfo input. The host sends it encoded
// three times (the extension's indented JSON, serialized as a string, inside the JSON body); a
// single encoding and a plain object are accepted too.
func (inv *Invocation) ConnectionInfo() (negotiate.ConnectionInfo, error) {
	b, err := inv.only(manifest.TypeSignalRConnectionInfo, manifest.DirectionIn)
	if err != nil {
		return negotiate.ConnectionInfo{}, err
	}
	return inv.req.connectionInfo(b.Name)
}

// Negotiation decodes the function's signalRNegotiation input: a connection info per endpoint.
func (inv *Invocation) Negotiation() (negotiate.Negotiation, error) {
	b, err := inv.only(manifest.TypeSignalRNegotiation, manifest.DirectionIn)
	if err != nil {
		return negotiate.Negotiation{}, err
	}
	return inv.req.negotiation(b.Name)
}

// Endpoints decodes the function's signalREndpoints input: every endpoint with its health.
func (inv *Invocation) Endpoints() ([]signalr.EndpointRef, error) {
	b, err := inv.only(manifest.TypeSignalREndpoints, manifest.DirectionIn)
	if err != nil {
		return nil, err
	}
	return inv.req.endpoints(b.Name)
}

// InvocationContext decodes the function's signalRTrigger: the hub, category, event,
// connection, user, claims and arguments of the upstream call. Its Bind method decodes the
// arguments into typed values.
func (inv *Invocation) InvocationContext() (trigger.InvocationContext, error) {
	if inv.hasIC {
		return inv.ic, nil
	}
	if !inv.fn.trigger.Is(manifest.TypeSignalRTrigger) {
		return trigger.InvocationContext{}, fmt.Errorf("bindings: function %q is not triggered by SignalR", inv.Function)
	}
	c, err := inv.req.invocationContext(inv.fn.trigger.Name)
	if err != nil {
		return trigger.InvocationContext{}, err
	}
	inv.ic, inv.hasIC = c, true
	return c, nil
}

// Bind decodes the SignalR trigger's arguments into dst, in order (nil skips one); the count
// must match what the client sent. Errors are *trigger.ArgumentError.
func (inv *Invocation) Bind(dst ...any) error {
	c, err := inv.InvocationContext()
	if err != nil {
		return err
	}
	return c.Bind(dst...)
}

// Input decodes the input binding name into v, a non-nil pointer, undoing exactly as many
// layers of host encoding as the type of v calls for:
//
//   - *string gets the original string: a value serialized twice ("\"hi\"") loses both layers;
//     a base64 or date string is returned as is.
//   - *[]byte gets the bytes of a base64 value (byte[] inputs) or of a serialized string.
//   - *time.Time parses a DateTime, in ISO 8601 or in .NET's invariant "01/02/2006 15:04:05".
//   - *bool takes true and false in any casing: JSON's true as well as .NET's True.
//   - *json.RawMessage gets the JSON of the original value.
//   - *negotiate.ConnectionInfo, *negotiate.Negotiation and *[]signalr.EndpointRef read a
//     signalRConnectionInfo, signalRNegotiation or signalREndpoints input as ConnectionInfo,
//     Negotiation and Endpoints do.
//   - any other type is decoded from the JSON the value holds after the host's layers are
//     removed: numbers, bools and arrays from their serialized form, structs and maps from an
//     object or from JSON text carried in a string (queue messages, for instance).
func (inv *Invocation) Input(name string, v any) error {
	var err error
	switch p := v.(type) {
	case *negotiate.ConnectionInfo:
		*p, err = inv.req.connectionInfo(name)
	case *negotiate.Negotiation:
		*p, err = inv.req.negotiation(name)
	case *[]signalr.EndpointRef:
		*p, err = inv.req.endpoints(name)
	default:
		err = inv.req.decode(name, v)
	}
	return err
}

// Metadata decodes an entry of the trigger's binding data into v, as Input decodes an input:
// a query parameter, a property of a JSON request body, a SignalR trigger argument named in
// ParameterNames, or "sys" ({MethodName, UtcNow, RandGuid}).
//
// The host turns each top-level scalar property of a JSON request body into a .NET string
// before serializing it again: {"n":2,"ok":true,"at":"2024-01-02T03:04:05Z"} arrives as
// "\"2\"", "\"True\"" and "\"01/02/2024 03:04:05\"". Metadata reads these back into numbers
// (parsed from the inner text), bools (True and False accepted) and time.Time; decoding into a
// string gives the .NET text.
func (inv *Invocation) Metadata(name string, v any) error {
	return inv.req.decodeMetadata(name, v)
}

// Respond sets the function's http output: status (0 means 200), headers (several values of
// one name are comma-joined, since the host keeps one string per name) and body, which may be
//
//   - nil: an empty body;
//   - a string, or []byte holding UTF-8 text: written verbatim, Content-Type
//     text/plain; charset=utf-8 unless headers set one;
//   - json.RawMessage: written verbatim, Content-Type application/json unless set;
//   - anything else: marshalled as compact JSON, Content-Type application/json unless set.
//
// Bodies that are not UTF-8 text are an error: the host cannot return binary data from an
// invocation payload (enable HTTP request forwarding for that).
func (inv *Invocation) Respond(status int, headers http.Header, body any) error {
	if inv.fn.httpOut == "" {
		return fmt.Errorf("bindings: function %q has no http output", inv.Function)
	}
	return inv.resp.setHTTP(inv.fn.httpOut, status, headers, body)
}

// Send appends messages and group actions to the function's signalR output. Each item is
// checked once, here, as the extension would check it; the items are written as an array of
// objects, the one shape the host's collector takes item by item. A removeAll group action
// with a ConnectionID is refused: the extension skips it silently (signalr.HubClient.Apply,
// which talks to the REST API directly, does carry it out).
func (inv *Invocation) Send(items ...signalr.Action) error {
	b, err := inv.only(manifest.TypeSignalR, manifest.DirectionOut)
	if err != nil {
		return err
	}
	return inv.resp.signalR(b.Name, items...)
}

// Output sets the output binding name. For a signalR binding v is a signalr.Action or a
// []signalr.Action, appended and checked as Send does; an http binding is set with Respond.
// Any other value is sent as JSON; a string that is valid base64 is refused, because the host
// would decode it into bytes (send an object, or []byte when bytes are what you mean).
func (inv *Invocation) Output(name string, v any) error {
	b, ok := inv.fn.decl.FindName(name)
	switch {
	case !ok || b.Direction == manifest.DirectionIn:
		return fmt.Errorf("bindings: function %q has no output binding %q", inv.Function, name)
	case b.Is(manifest.TypeHTTP):
		return fmt.Errorf("bindings: output %q is an http output; set it with Invocation.Respond", name)
	case b.Is(manifest.TypeSignalR):
		switch x := v.(type) {
		case signalr.Action:
			return inv.resp.signalR(b.Name, x)
		case []signalr.Action:
			return inv.resp.signalR(b.Name, x...)
		}
		return fmt.Errorf("bindings: signalR output %q takes a signalr.Action or []signalr.Action, not %T", name, v)
	}
	return inv.resp.output(b.Name, v)
}

// Log appends a line to the invocation's log, which the host writes as Information.
func (inv *Invocation) Log(format string, args ...any) { inv.resp.logf(format, args...) }

// Return sets the return value. A SignalR trigger hands it to the client that called invoke()
// (SignalR extension 1.15.0 or later); without a $return binding an object's keys also become
// outputs. For a $return binding (HTTP included) the App refuses a string the host would
// base64-decode.
func (inv *Invocation) Return(v any) { inv.resp.setReturn(v) }

func (inv *Invocation) only(t string, dir manifest.Direction) (manifest.Binding, error) {
	var found []manifest.Binding
	for _, b := range inv.fn.decl.Bindings {
		if b.Is(t) && b.Direction == dir {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return manifest.Binding{}, fmt.Errorf("bindings: function %q has no %s binding", inv.Function, t)
	}
	if dir == manifest.DirectionOut {
		return manifest.Binding{}, fmt.Errorf("bindings: function %q has %d %s bindings; use Invocation.Output with a binding name", inv.Function, len(found), t)
	}
	return manifest.Binding{}, fmt.Errorf("bindings: function %q has %d %s bindings; use Invocation.Input with a binding name", inv.Function, len(found), t)
}
