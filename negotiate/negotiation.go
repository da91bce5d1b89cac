package negotiate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// RequestFromContext returns the HTTP request a negotiation answers, for a signalr.Router that
// chooses the endpoint by region header, user or query. Handler and the bindings package put
// it in the context the Router receives.
func RequestFromContext(ctx context.Context) (*http.Request, bool) {
	return service.RequestFromContext(ctx)
}

// EndpointConnectionInfo is the connection info of one endpoint, for clients that choose their
// endpoint themselves.
type EndpointConnectionInfo struct {
	signalr.EndpointRef
	ConnectionInfo ConnectionInfo
}

// Negotiation is a connection info per endpoint, the value of a signalRNegotiation input
// binding: {"endpoints":[{"endpointType","name","endpoint","online","connectionInfo":{…}}]}.
type Negotiation struct {
	Endpoints []EndpointConnectionInfo
}

// String redacts the access tokens.
func (n Negotiation) String() string {
	parts := make([]string, len(n.Endpoints))
	for i, e := range n.Endpoints {
		parts[i] = fmt.Sprintf("%q: %s", e.Name, e.ConnectionInfo.String())
	}
	return "negotiate.Negotiation{" + strings.Join(parts, ", ") + "}"
}

// MarshalJSON writes the signalRNegotiation shape; online is always written.
func (n Negotiation) MarshalJSON() ([]byte, error) {
	b := []byte(`{"endpoints":[`)
	for i, e := range n.Endpoints {
		if i > 0 {
			b = append(b, ',')
		}
		b = service.AppendEndpointJSON(b, string(e.EndpointType), e.Name, e.Endpoint, e.Online)
		b = append(b[:len(b)-1], `,"connectionInfo":`...)
		b = e.ConnectionInfo.appendJSON(b)
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

// NegotiateAll mints a connection info for every endpoint of the client, with their health, so
// the client can choose (the signalRNegotiation binding). It fails when any endpoint cannot
// issue a token, naming it.
func (n *Negotiator) NegotiateAll(ctx context.Context, hub string, opts *Options) (Negotiation, error) {
	if n == nil || n.client == nil {
		return Negotiation{}, errNoClient
	}
	if opts == nil {
		opts = &noOptions
	}
	lifetime, err := n.check(hub, opts)
	if err != nil {
		return Negotiation{}, err
	}
	refs := n.client.Endpoints()
	out := Negotiation{Endpoints: make([]EndpointConnectionInfo, len(refs))}
	if len(n.eps) == 1 {
		info, err := n.negotiate(ctx, n.eps[0], hub, opts, lifetime)
		if err != nil {
			return Negotiation{}, err
		}
		out.Endpoints[0] = EndpointConnectionInfo{EndpointRef: refs[0], ConnectionInfo: info}
		return out, nil
	}
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, e := range n.eps {
		wg.Go(func() {
			info, err := n.negotiate(ctx, e, hub, opts, lifetime)
			out.Endpoints[i] = EndpointConnectionInfo{EndpointRef: refs[i], ConnectionInfo: info}
			if err != nil {
				errs[i] = fmt.Errorf("endpoint %q (%s): %w", refs[i].Name, refs[i].Endpoint, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Negotiation{}, err
	}
	return out, nil
}

// UnmarshalJSON reads the signalRNegotiation shape, as a handler receives it from the
// Functions host; unknown fields are ignored.
func (n *Negotiation) UnmarshalJSON(data []byte) error {
	var wire struct {
		Endpoints []struct {
			signalr.EndpointRef
			ConnectionInfo ConnectionInfo `json:"connectionInfo"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return errors.New(`negotiate: negotiation is not {"endpoints":[{"endpointType","name","endpoint","online","connectionInfo":{…}}]}: ` + err.Error())
	}
	out := Negotiation{Endpoints: make([]EndpointConnectionInfo, len(wire.Endpoints))}
	for i, e := range wire.Endpoints {
		out.Endpoints[i] = EndpointConnectionInfo{EndpointRef: e.EndpointRef, ConnectionInfo: e.ConnectionInfo}
	}
	*n = out
	return nil
}
