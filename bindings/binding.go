package bindings

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
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

// Binding is one entry of a function's bindings in function.json, declared with HTTPTrigger,
// HTTPOutput, SignalRConnectionInfo, SignalRNegotiation, SignalREndpoints, SignalROutput,
// SignalRTrigger or GenericBinding and registered with App.Func (or as an extra binding of
// App.HTTP, App.SignalRTrigger and App.SignalRMessage), which reports what the host would
// reject.
type Binding struct {
	b   manifest.Binding
	err error // a declaration GenericBinding could not express, reported at registration
}

// HTTPOptions are the route, methods and authorization of an HTTP trigger, shared by
// HTTPTrigger, App.HTTP and App.Negotiate. A nil *HTTPOptions means defaults.
type HTTPOptions struct {
	// Route is the route template below the route prefix, such as "items/{id}"; "" means the
	// function name.
	Route string
	// Methods lists the accepted methods; empty means all (App.Negotiate: post and get).
	Methods []string
	// AuthLevel defaults to AuthLevelFunction, the host's default; browsers calling a function
	// directly need AuthLevelAnonymous.
	AuthLevel AuthLevel
}

// HTTPTrigger declares an HTTP trigger.
func HTTPTrigger(name string, opts *HTTPOptions) Binding {
	if opts == nil {
		opts = &HTTPOptions{}
	}
	level := opts.AuthLevel
	if level == "" {
		level = AuthLevelFunction
	}
	var methods []string
	for _, m := range opts.Methods {
		methods = append(methods, strings.ToLower(m))
	}
	return Binding{b: manifest.Binding{Type: manifest.TypeHTTPTrigger, Direction: manifest.DirectionIn, Name: name,
		AuthLevel: manifest.AuthLevel(level), Methods: methods, Route: opts.Route}}
}

// HTTPOutput declares an HTTP output; name may be "$return".
func HTTPOutput(name string) Binding {
	return Binding{b: manifest.Binding{Type: manifest.TypeHTTP, Direction: manifest.DirectionOut, Name: name}}
}

// SignalROptions is what every SignalR binding can set. A nil *SignalROptions means defaults.
type SignalROptions struct {
	// ConnectionStringSetting names the app setting with the connection string (or the prefix
	// of identity-based settings); "" means signalr.DefaultConnectionSetting,
	// AzureSignalRConnectionString. Named endpoints (Azure__SignalR__Endpoints__<name>) join it
	// as further service instances.
	ConnectionStringSetting string
}

// ConnectionInfoOptions configures the token-minting inputs, signalRConnectionInfo and
// signalRNegotiation. A nil pointer means defaults.
type ConnectionInfoOptions struct {
	SignalROptions
	// UserID is the user id put in the access token: a literal or a binding expression such as
	// "{headers.x-ms-client-principal-id}" or "{query.userId}". A binding expression whose value
	// is missing fails the invocation; see NegotiateOptions.Mint for "the signed-in user when
	// there is one".
	UserID string
	// IDToken is a binding expression yielding a JWT whose claims ClaimTypeList copies.
	IDToken string
	// ClaimTypeList names the IDToken claims copied into the access token.
	ClaimTypeList []string
}

// SignalRConnectionInfo declares a signalRConnectionInfo input for hub: the URL and access token
// a client connects with, minted by the host. Read it with Invocation.ConnectionInfo.
func SignalRConnectionInfo(name, hub string, opts *ConnectionInfoOptions) Binding {
	return connectionInfoBinding(manifest.TypeSignalRConnectionInfo, name, hub, opts)
}

// SignalRNegotiation declares a signalRNegotiation input for hub: a connection info for every
// service endpoint, with the endpoint's type, name and health, so the function chooses which
// one the client connects to. The extension mints one token per endpoint with the same user
// and claims. Read it with Invocation.Negotiation.
func SignalRNegotiation(name, hub string, opts *ConnectionInfoOptions) Binding {
	return connectionInfoBinding(manifest.TypeSignalRNegotiation, name, hub, opts)
}

func connectionInfoBinding(typ, name, hub string, opts *ConnectionInfoOptions) Binding {
	if opts == nil {
		opts = &ConnectionInfoOptions{}
	}
	return Binding{b: manifest.Binding{Type: typ, Direction: manifest.DirectionIn, Name: name, HubName: hub,
		UserID: opts.UserID, IDToken: opts.IDToken, ClaimTypeList: opts.ClaimTypeList,
		ConnectionStringSetting: opts.ConnectionStringSetting}}
}

// SignalREndpoints declares a signalREndpoints input for hub: every service endpoint with its
// type, name, URL and health, for instance to narrow a signalR output's messages with
// signalr.Message.Endpoints. Read it with Invocation.Endpoints.
func SignalREndpoints(name, hub string, opts *SignalROptions) Binding {
	if opts == nil {
		opts = &SignalROptions{}
	}
	return Binding{b: manifest.Binding{Type: manifest.TypeSignalREndpoints, Direction: manifest.DirectionIn, Name: name, HubName: hub,
		ConnectionStringSetting: opts.ConnectionStringSetting}}
}

// SignalROutput declares a signalR output for hub: the messages and group actions
// Invocation.Send writes.
func SignalROutput(name, hub string, opts *SignalROptions) Binding {
	if opts == nil {
		opts = &SignalROptions{}
	}
	return Binding{b: manifest.Binding{Type: manifest.TypeSignalR, Direction: manifest.DirectionOut, Name: name, HubName: hub,
		ConnectionStringSetting: opts.ConnectionStringSetting}}
}

// SignalRTriggerOptions configures a signalRTrigger. A nil pointer means defaults.
type SignalRTriggerOptions struct {
	// SignalROptions names the connection setting, whose access keys check upstream
	// signatures.
	SignalROptions
	// ParameterNames names the invocation's arguments (messages category only); the count must
	// match what clients send. Each argument is also delivered in the invocation's metadata
	// under its name (Invocation.Metadata).
	ParameterNames []string
}

// SignalRTrigger declares a signalRTrigger: category is trigger.CategoryMessages (event = the
// hub method clients call) or trigger.CategoryConnections (event = trigger.EventConnected or
// trigger.EventDisconnected).
func SignalRTrigger(name, hub, category, event string, opts *SignalRTriggerOptions) Binding {
	if opts == nil {
		opts = &SignalRTriggerOptions{}
	}
	return Binding{b: manifest.Binding{Type: manifest.TypeSignalRTrigger, Direction: manifest.DirectionIn, Name: name, HubName: hub,
		Category: category, Event: event, ParameterNames: opts.ParameterNames,
		ConnectionStringSetting: opts.ConnectionStringSetting}}
}

// GenericBinding declares a binding of any other extension (a queue, a timer, a blob…), or
// any binding with properties the typed helpers do not set, such as "dataType": "binary".
// properties are the function.json properties besides type, direction and name, written as
// given; property names match the known ones without case, as the host reads them. A property
// that does not fit its known meaning (a number for "route") is reported by App.Func.
func GenericBinding(typ string, dir Direction, name string, properties map[string]any) Binding {
	props := make(map[string]any, len(properties)+3)
	for k, v := range properties {
		switch strings.ToLower(k) {
		case "type", "direction", "name":
			return Binding{b: manifest.Binding{Type: typ, Direction: manifest.Direction(dir), Name: name},
				err: fmt.Errorf("bindings: binding %q: property %q is set by GenericBinding's own arguments", name, k)}
		}
		props[k] = v
	}
	maps.Copy(props, map[string]any{"type": typ, "direction": dir, "name": name})
	b := manifest.Binding{Type: typ, Direction: manifest.Direction(dir), Name: name}
	raw, err := json.Marshal(props)
	if err == nil {
		err = json.Unmarshal(raw, &b)
	}
	if err != nil {
		return Binding{b: manifest.Binding{Type: typ, Direction: manifest.Direction(dir), Name: name},
			err: fmt.Errorf("bindings: binding %q: %w", name, err)}
	}
	return Binding{b: b}
}
