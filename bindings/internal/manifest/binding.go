package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/funcsignalr/funcsignalr/signalr"
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

// Binding types the bindings package and the fake host know.
const (
	TypeHTTPTrigger           = "httpTrigger"
	TypeHTTP                  = "http"
	TypeSignalRConnectionInfo = "signalRConnectionInfo"
	TypeSignalRNegotiation    = "signalRNegotiation"
	TypeSignalREndpoints      = "signalREndpoints"
	TypeSignalR               = "signalR"
	TypeSignalRTrigger        = "signalRTrigger"
)

// Binding is one entry of a function.json bindings array, as declared in Go or read from disk.
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
	// "" means signalr.DefaultConnectionSetting.
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
	return signalr.DefaultConnectionSetting
}
