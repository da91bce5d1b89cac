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
func (r *invokeRequest) negotiation(name string) (negotiate.Negotiation, error) {
	var w struct {
		Endpoints *[]struct {
			endpointWire
			ConnectionInfo *connectionInfoWire `json:"connectionInfo"`
		} `json:"endpoints"`
	}
	if err := r.decode(name, &w); err != nil {
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
func (r *invokeRequest) endpoints(name string) ([]signalr.EndpointRef, error) {
	var w []endpointWire
	if err := r.decode(name, &w); err != nil {
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
