package bindings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// NegotiationOptions configures a signalRNegotiation input. A nil pointer means defaults. The
// properties are those of signalRConnectionInfo: the extension mints one token per endpoint
// with the same user and claims.
type NegotiationOptions struct {
	// UserID is the user id put in every access token: a literal or a binding expression such
	// as "{headers.x-ms-client-principal-id}" or "{query.userId}".
	UserID string
	// IDToken is a binding expression yielding a JWT whose claims ClaimTypeList copies.
	IDToken string
	// ClaimTypeList names the IDToken claims copied into the access tokens.
	ClaimTypeList []string
	// ConnectionStringSetting names the app setting with the connection string of the unnamed
	// primary endpoint; the named endpoints come from Azure:SignalR:Endpoints.
	ConnectionStringSetting string
}

// SignalRNegotiation declares a signalRNegotiation input for hub: a connection info for every
// service endpoint, with the endpoint's type, name and health, so the function chooses which
// one the client connects to. Read it with Invocation.Negotiation.
func SignalRNegotiation(name, hub string, opts *NegotiationOptions) Binding {
	// The same properties as signalRConnectionInfo, so the same declaration with another type.
	b := SignalRConnectionInfo(name, hub, (*ConnectionInfoOptions)(opts))
	b.Type = TypeSignalRNegotiation
	return b
}

// EndpointsOptions configures a signalREndpoints input. A nil pointer means defaults.
type EndpointsOptions struct {
	// ConnectionStringSetting names the app setting with the connection string of the unnamed
	// primary endpoint; the named endpoints come from Azure:SignalR:Endpoints.
	ConnectionStringSetting string
}

// SignalREndpoints declares a signalREndpoints input for hub: every service endpoint with its
// type, name, URL and health, for instance to narrow a signalR output's messages with
// signalr.Message.Endpoints. Read it with Invocation.Endpoints.
func SignalREndpoints(name, hub string, opts *EndpointsOptions) Binding {
	if opts == nil {
		opts = &EndpointsOptions{}
	}
	return Binding{Type: TypeSignalREndpoints, Direction: DirectionIn, Name: name, HubName: hub,
		ConnectionStringSetting: opts.ConnectionStringSetting}
}

// endpointTypeWire is an endpoint's type as the extension writes it: "Primary" or "Secondary"
// (StringEnumConverter, current releases) or 0 or 1 (the enum's number, older releases).
type endpointTypeWire signalr.EndpointType

func (t *endpointTypeWire) UnmarshalJSON(b []byte) error {
	switch s := string(bytes.TrimSpace(b)); {
	case s == "null":
		return nil
	case s == "0":
		*t = endpointTypeWire(signalr.EndpointTypePrimary)
		return nil
	case s == "1":
		*t = endpointTypeWire(signalr.EndpointTypeSecondary)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("endpointType is neither a string nor 0 or 1")
	}
	for _, v := range signalr.PossibleEndpointTypeValues() {
		if strings.EqualFold(s, string(v)) {
			*t = endpointTypeWire(v)
			return nil
		}
	}
	return fmt.Errorf("endpointType %q is not Primary or Secondary", s)
}

// endpointWire is the extension's LiteServiceEndpoint. Go matches the names without case, so the
// camelCase of current releases and the PascalCase of a default JObject.FromObject both read.
type endpointWire struct {
	EndpointType endpointTypeWire `json:"endpointType"`
	Name         string           `json:"name"`
	Endpoint     string           `json:"endpoint"`
	Online       *bool            `json:"online"`
}

// ref checks an endpoint and returns it. A missing type is Primary, the extension's default; a
// missing online flag is true, since the extension only reports endpoints it knows of.
func (w endpointWire) ref(i int) (signalr.EndpointRef, error) {
	if w.Endpoint == "" {
		return signalr.EndpointRef{}, fmt.Errorf("endpoint %d has no endpoint URL", i)
	}
	ref := signalr.EndpointRef{EndpointType: signalr.EndpointType(w.EndpointType), Name: w.Name, Endpoint: w.Endpoint, Online: true}
	if ref.EndpointType == "" {
		ref.EndpointType = signalr.EndpointTypePrimary
	}
	if w.Online != nil {
		ref.Online = *w.Online
	}
	return ref, nil
}

// Negotiation decodes a signalRNegotiation input: a connection info per endpoint. The
// extension's value is a JObject, which the host sends as a plain JSON object; the encodings
// other inputs get (JSON text in a string, once or twice) are accepted too, so are endpoint
// types written as numbers.
func (r *InvokeRequest) Negotiation(name string) (negotiate.Negotiation, error) {
	var w struct {
		Endpoints *[]struct {
			endpointWire
			ConnectionInfo *connectionInfoWire `json:"connectionInfo"`
		} `json:"endpoints"`
	}
	if err := r.Decode(name, &w); err != nil {
		return negotiate.Negotiation{}, err
	}
	if w.Endpoints == nil {
		return negotiate.Negotiation{}, fmt.Errorf(`bindings: input binding %q is not a negotiation; expected {"endpoints":[{endpointType, name, endpoint, online, connectionInfo}]}`, name)
	}
	out := negotiate.Negotiation{Endpoints: make([]negotiate.EndpointConnectionInfo, len(*w.Endpoints))}
	for i, e := range *w.Endpoints {
		ref, err := e.ref(i)
		if err != nil {
			return negotiate.Negotiation{}, fmt.Errorf("bindings: input binding %q: %w", name, err)
		}
		ci := e.ConnectionInfo
		if ci == nil || ci.URL == "" || ci.AccessToken == "" {
			return negotiate.Negotiation{}, fmt.Errorf("bindings: input binding %q: endpoint %d (%s) has no connection info; expected connectionInfo {url, accessToken}", name, i, ref.Endpoint)
		}
		info := negotiate.ConnectionInfo{URL: ci.URL, AccessToken: ci.AccessToken}
		if ci.TokenLifetimeSeconds != nil {
			info.TokenLifetime = time.Duration(*ci.TokenLifetimeSeconds) * time.Second
		}
		out.Endpoints[i] = negotiate.EndpointConnectionInfo{EndpointRef: ref, ConnectionInfo: info}
	}
	return out, nil
}

// Endpoints decodes a signalREndpoints input: every endpoint with its health. The extension's
// value is a JArray, which the host serializes into a JSON string; a plain array and the
// triple encoding of signalRConnectionInfo are accepted too, so are endpoint types written as
// numbers.
func (r *InvokeRequest) Endpoints(name string) ([]signalr.EndpointRef, error) {
	var w []endpointWire
	if err := r.Decode(name, &w); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf(`bindings: input binding %q is not a list of endpoints; expected [{endpointType, name, endpoint, online}]`, name)
	}
	out := make([]signalr.EndpointRef, len(w))
	for i, e := range w {
		ref, err := e.ref(i)
		if err != nil {
			return nil, fmt.Errorf("bindings: input binding %q: %w", name, err)
		}
		out[i] = ref
	}
	return out, nil
}

// Negotiation decodes the function's signalRNegotiation input.
func (inv *Invocation) Negotiation() (negotiate.Negotiation, error) {
	b, err := inv.only(TypeSignalRNegotiation, DirectionIn)
	if err != nil {
		return negotiate.Negotiation{}, err
	}
	return inv.Request.Negotiation(b.Name)
}

// Endpoints decodes the function's signalREndpoints input.
func (inv *Invocation) Endpoints() ([]signalr.EndpointRef, error) {
	b, err := inv.only(TypeSignalREndpoints, DirectionIn)
	if err != nil {
		return nil, err
	}
	return inv.Request.Endpoints(b.Name)
}
