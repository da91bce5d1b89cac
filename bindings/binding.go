package bindings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Direction is a binding's direction in function.json.
type Direction string

const (
	DirectionIn    Direction = "in"
	DirectionOut   Direction = "out"
	DirectionInOut Direction = "inout"
)

// AuthLevel is who may call an HTTP trigger in Azure.
type AuthLevel string

const (
	// AuthLevelAnonymous needs no key.
	AuthLevelAnonymous AuthLevel = "anonymous"
	// AuthLevelFunction needs a function or host key (the host's default).
	AuthLevelFunction AuthLevel = "function"
	// AuthLevelAdmin needs the master key.
	AuthLevelAdmin AuthLevel = "admin"
)

// PossibleAuthLevelValues returns the defined AuthLevel values.
func PossibleAuthLevelValues() []AuthLevel {
	return []AuthLevel{AuthLevelAnonymous, AuthLevelFunction, AuthLevelAdmin}
}

// SignalR trigger categories and the events of the connections category.
const (
	CategoryConnections = "connections"
	CategoryMessages    = "messages"
	EventConnected      = "connected"
	EventDisconnected   = "disconnected"
)

// Binding types this package knows.
const (
	TypeHTTPTrigger           = "httpTrigger"
	TypeHTTP                  = "http"
	TypeSignalRConnectionInfo = "signalRConnectionInfo"
	TypeSignalRNegotiation    = "signalRNegotiation"
	TypeSignalREndpoints      = "signalREndpoints"
	TypeSignalR               = "signalR"
	TypeSignalRTrigger        = "signalRTrigger"
)

// DefaultConnectionStringSetting is the app setting SignalR bindings read when they name none.
const DefaultConnectionStringSetting = "AzureSignalRConnectionString"

// Binding is one entry of a function.json bindings array. Build it with HTTPTrigger, HTTPOutput,
// SignalRConnectionInfo, SignalRNegotiation, SignalREndpoints, SignalROutput, SignalRTrigger or
// GenericBinding; the fields are exported so declarations read from disk can be inspected.
type Binding struct {
	Type      string
	Direction Direction
	Name      string
	DataType  string

	// httpTrigger
	AuthLevel AuthLevel
	Methods   []string
	Route     string

	// signalRConnectionInfo, signalRNegotiation, signalREndpoints, signalR, signalRTrigger
	HubName       string
	UserID        string
	IDToken       string
	ClaimTypeList []string
	Category      string
	Event         string
	// ParameterNames names the arguments of a messages trigger; each argument is also delivered
	// in Metadata under its name.
	ParameterNames []string
	// ConnectionStringSetting names the app setting with the connection string;
	// "" means AzureSignalRConnectionString.
	ConnectionStringSetting string
	// Connection is the newer spelling of ConnectionStringSetting, read from function.json.
	Connection string

	// Extra holds any other property, written after the known ones in key order.
	Extra map[string]any
}

// bindingJSON fixes the property order of generated function.json files.
type bindingJSON struct {
	Type                    string    `json:"type"`
	Direction               Direction `json:"direction"`
	Name                    string    `json:"name"`
	DataType                string    `json:"dataType,omitempty"`
	AuthLevel               AuthLevel `json:"authLevel,omitempty"`
	Methods                 []string  `json:"methods,omitempty"`
	Route                   string    `json:"route,omitempty"`
	HubName                 string    `json:"hubName,omitempty"`
	UserID                  string    `json:"userId,omitempty"`
	IDToken                 string    `json:"idToken,omitempty"`
	ClaimTypeList           []string  `json:"claimTypeList,omitempty"`
	Category                string    `json:"category,omitempty"`
	Event                   string    `json:"event,omitempty"`
	ParameterNames          []string  `json:"parameterNames,omitempty"`
	ConnectionStringSetting string    `json:"connectionStringSetting,omitempty"`
	Connection              string    `json:"connection,omitempty"`
}

// MarshalJSON writes the function.json form: camelCase names, known properties in a fixed
// order, then Extra sorted by key.
func (b Binding) MarshalJSON() ([]byte, error) {
	known, err := json.Marshal(bindingJSON{
		Type: b.Type, Direction: b.Direction, Name: b.Name, DataType: b.DataType,
		AuthLevel: b.AuthLevel, Methods: b.Methods, Route: b.Route,
		HubName: b.HubName, UserID: b.UserID, IDToken: b.IDToken, ClaimTypeList: b.ClaimTypeList,
		Category: b.Category, Event: b.Event, ParameterNames: b.ParameterNames,
		ConnectionStringSetting: b.ConnectionStringSetting, Connection: b.Connection,
	})
	if err != nil || len(b.Extra) == 0 {
		return known, err
	}
	var buf bytes.Buffer
	buf.Write(known[:len(known)-1])
	for _, k := range sortedKeys(b.Extra) {
		if _, isKnown := knownProperty(k); isKnown {
			return nil, fmt.Errorf("bindings: binding %q: Extra property %q shadows a known property", b.Name, k)
		}
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(b.Extra[k])
		if err != nil {
			return nil, fmt.Errorf("bindings: binding %q: property %q: %w", b.Name, k, err)
		}
		buf.WriteByte(',')
		buf.Write(kj)
		buf.WriteByte(':')
		buf.Write(vj)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var knownProperties = []string{"type", "direction", "name", "dataType", "authLevel", "methods", "route",
	"hubName", "userId", "idToken", "claimTypeList", "category", "event", "parameterNames",
	"connectionStringSetting", "connection"}

func knownProperty(k string) (string, bool) {
	for _, p := range knownProperties {
		if strings.EqualFold(p, k) {
			return p, true
		}
	}
	return "", false
}

// UnmarshalJSON reads a function.json binding; property names match case-insensitively, as
// the host reads them, and unknown properties land in Extra.
func (b *Binding) UnmarshalJSON(data []byte) error {
	var props map[string]json.RawMessage
	if err := json.Unmarshal(data, &props); err != nil {
		return fmt.Errorf("bindings: a binding is not a JSON object: %w", err)
	}
	var out Binding
	var known bindingJSON
	knownRaw := map[string]json.RawMessage{}
	for k, v := range props {
		if p, ok := knownProperty(k); ok {
			knownRaw[p] = v
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return err
		}
		if out.Extra == nil {
			out.Extra = map[string]any{}
		}
		out.Extra[k] = x
	}
	j, _ := json.Marshal(knownRaw)
	if err := json.Unmarshal(j, &known); err != nil {
		return fmt.Errorf("bindings: binding property has the wrong type: %w", err)
	}
	out.Type, out.Direction, out.Name, out.DataType = known.Type, Direction(strings.ToLower(string(known.Direction))), known.Name, known.DataType
	out.AuthLevel, out.Methods, out.Route = AuthLevel(strings.ToLower(string(known.AuthLevel))), known.Methods, known.Route
	out.HubName, out.UserID, out.IDToken, out.ClaimTypeList = known.HubName, known.UserID, known.IDToken, known.ClaimTypeList
	out.Category, out.Event, out.ParameterNames = known.Category, known.Event, known.ParameterNames
	out.ConnectionStringSetting, out.Connection = known.ConnectionStringSetting, known.Connection
	*b = out
	return nil
}

// Is reports whether the binding has type t, compared case-insensitively as the host does.
func (b Binding) Is(t string) bool { return strings.EqualFold(b.Type, t) }

// IsTrigger reports whether the binding is a trigger.
func (b Binding) IsTrigger() bool {
	return len(b.Type) > len("trigger") && strings.EqualFold(b.Type[len(b.Type)-len("trigger"):], "trigger")
}

// Setting is the app setting holding the binding's connection string: connectionStringSetting,
// else connection, else AzureSignalRConnectionString.
func (b Binding) Setting() string {
	switch {
	case b.ConnectionStringSetting != "":
		return b.ConnectionStringSetting
	case b.Connection != "":
		return b.Connection
	}
	return DefaultConnectionStringSetting
}

// HTTPTriggerOptions configures an HTTP trigger. A nil *HTTPTriggerOptions means defaults.
type HTTPTriggerOptions struct {
	// Route is the route template below the route prefix, such as "items/{id}"; "" means the
	// function name.
	Route string
	// Methods lists the accepted methods, lowercase; empty means all.
	Methods []string
	// AuthLevel defaults to AuthLevelFunction, the host's default.
	AuthLevel AuthLevel
}

// HTTPTrigger declares an HTTP trigger.
func HTTPTrigger(name string, opts *HTTPTriggerOptions) Binding {
	if opts == nil {
		opts = &HTTPTriggerOptions{}
	}
	level := opts.AuthLevel
	if level == "" {
		level = AuthLevelFunction
	}
	methods := make([]string, len(opts.Methods))
	for i, m := range opts.Methods {
		methods[i] = strings.ToLower(m)
	}
	if len(methods) == 0 {
		methods = nil
	}
	return Binding{Type: TypeHTTPTrigger, Direction: DirectionIn, Name: name, AuthLevel: level, Methods: methods, Route: opts.Route}
}

// HTTPOutput declares an HTTP output; name may be "$return".
func HTTPOutput(name string) Binding {
	return Binding{Type: TypeHTTP, Direction: DirectionOut, Name: name}
}

// ConnectionInfoOptions configures a signalRConnectionInfo input. A nil pointer means defaults.
type ConnectionInfoOptions struct {
	// UserID is the user id put in the access token: a literal or a binding expression such as
	// "{headers.x-ms-client-principal-id}" or "{query.userId}".
	UserID string
	// IDToken is a binding expression yielding a JWT whose claims ClaimTypeList copies.
	IDToken string
	// ClaimTypeList names the IDToken claims copied into the access token.
	ClaimTypeList []string
	// ConnectionStringSetting names the app setting with the connection string.
	ConnectionStringSetting string
}

// SignalRConnectionInfo declares a signalRConnectionInfo input for hub.
func SignalRConnectionInfo(name, hub string, opts *ConnectionInfoOptions) Binding {
	if opts == nil {
		opts = &ConnectionInfoOptions{}
	}
	return Binding{Type: TypeSignalRConnectionInfo, Direction: DirectionIn, Name: name, HubName: hub,
		UserID: opts.UserID, IDToken: opts.IDToken, ClaimTypeList: opts.ClaimTypeList,
		ConnectionStringSetting: opts.ConnectionStringSetting}
}

// SignalROutputOptions configures a signalR output. A nil pointer means defaults.
type SignalROutputOptions struct {
	// ConnectionStringSetting names the app setting with the connection string.
	ConnectionStringSetting string
}

// SignalROutput declares a signalR output for hub.
func SignalROutput(name, hub string, opts *SignalROutputOptions) Binding {
	if opts == nil {
		opts = &SignalROutputOptions{}
	}
	return Binding{Type: TypeSignalR, Direction: DirectionOut, Name: name, HubName: hub,
		ConnectionStringSetting: opts.ConnectionStringSetting}
}

// SignalRTriggerOptions configures a signalRTrigger. A nil pointer means defaults.
type SignalRTriggerOptions struct {
	// ParameterNames names the invocation's arguments (messages category only); the count must
	// match what clients send.
	ParameterNames []string
	// ConnectionStringSetting names the app setting with the connection string, whose access
	// keys check upstream signatures.
	ConnectionStringSetting string
}

// SignalRTrigger declares a signalRTrigger: category is CategoryMessages (event = the hub
// method clients call) or CategoryConnections (event = EventConnected or EventDisconnected).
func SignalRTrigger(name, hub, category, event string, opts *SignalRTriggerOptions) Binding {
	if opts == nil {
		opts = &SignalRTriggerOptions{}
	}
	return Binding{Type: TypeSignalRTrigger, Direction: DirectionIn, Name: name, HubName: hub,
		Category: category, Event: event, ParameterNames: opts.ParameterNames,
		ConnectionStringSetting: opts.ConnectionStringSetting}
}

// GenericBinding declares a binding of any other extension; properties are written as given.
func GenericBinding(typ string, dir Direction, name string, properties map[string]any) Binding {
	return Binding{Type: typ, Direction: dir, Name: name, Extra: properties}
}
