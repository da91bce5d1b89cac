package bindings

import (
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
)

// Direction is a binding's direction in function.json.
type Direction = manifest.Direction

const (
	DirectionIn    = manifest.DirectionIn
	DirectionOut   = manifest.DirectionOut
	DirectionInOut = manifest.DirectionInOut
)

// AuthLevel is who may call an HTTP trigger in Azure.
type AuthLevel = manifest.AuthLevel

const (
	// AuthLevelAnonymous needs no key.
	AuthLevelAnonymous = manifest.AuthLevelAnonymous
	// AuthLevelFunction needs a function or host key (the host's default).
	AuthLevelFunction = manifest.AuthLevelFunction
	// AuthLevelAdmin needs the master key.
	AuthLevelAdmin = manifest.AuthLevelAdmin
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
	TypeHTTPTrigger           = manifest.TypeHTTPTrigger
	TypeHTTP                  = manifest.TypeHTTP
	TypeSignalRConnectionInfo = manifest.TypeSignalRConnectionInfo
	TypeSignalRNegotiation    = manifest.TypeSignalRNegotiation
	TypeSignalREndpoints      = manifest.TypeSignalREndpoints
	TypeSignalR               = manifest.TypeSignalR
	TypeSignalRTrigger        = manifest.TypeSignalRTrigger
)

// DefaultConnectionStringSetting is the app setting SignalR bindings read when they name none.
const DefaultConnectionStringSetting = "AzureSignalRConnectionString"

// Binding is one entry of a function.json bindings array. Build it with HTTPTrigger, HTTPOutput,
// SignalRConnectionInfo, SignalRNegotiation, SignalREndpoints, SignalROutput, SignalRTrigger or
// GenericBinding; the fields are exported so declarations read from disk can be inspected.
type Binding = manifest.Binding

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
