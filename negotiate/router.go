package negotiate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// Router chooses the service endpoint a client connects to, when a Negotiator spans several
// endpoints (NewWithEndpoints). It must be safe for concurrent use.
type Router interface {
	// Route returns one of endpoints for a client of hub. endpoints carry their health in
	// Online. ctx carries the negotiate HTTP request when there is one (RequestFromContext), so
	// a router can choose by region header, user or query.
	Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error)
}

// ErrNoEndpointOnline is returned by DefaultRouter when every endpoint is offline.
var ErrNoEndpointOnline = errors.New("negotiate: no Azure SignalR Service endpoint is online")

// DefaultRouter picks at random among the online primary endpoints, else among the online
// secondary ones, else fails with ErrNoEndpointOnline: the service SDK's default routing,
// without its capacity weighting (REST clients see no capacity metrics).
type DefaultRouter struct{}

// Route implements Router.
func (DefaultRouter) Route(_ context.Context, _ string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	for _, typ := range []signalr.EndpointType{signalr.EndpointTypePrimary, signalr.EndpointTypeSecondary} {
		n := 0
		for _, e := range endpoints {
			if e.Online && e.EndpointType == typ {
				n++
			}
		}
		if n == 0 {
			continue
		}
		pick := rand.IntN(n)
		for _, e := range endpoints {
			if e.Online && e.EndpointType == typ {
				if pick == 0 {
					return e, nil
				}
				pick--
			}
		}
	}
	return signalr.EndpointRef{}, ErrNoEndpointOnline
}

type requestKey struct{}

// ContextWithRequest returns ctx carrying the negotiate request r, for a Router. Handler does
// this itself; call it when negotiating from another HTTP entry point.
func ContextWithRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFromContext returns the negotiate request a Router is choosing for.
func RequestFromContext(ctx context.Context) (*http.Request, bool) {
	r, ok := ctx.Value(requestKey{}).(*http.Request)
	return r, ok && r != nil
}

// multi is the part of a Negotiator that spans several endpoints.
type multi struct {
	client *signalr.MultiEndpointClient
	router Router
	subs   []*Negotiator // parallel to client.Endpoints()
}

// NewWithEndpoints returns a Negotiator for a MultiEndpointClient: Negotiate asks
// NegotiatorOptions.Router (DefaultRouter when nil) which endpoint the client connects to and
// mints a token for it; NegotiateAll mints one per endpoint. Each endpoint's keys are handled
// as New does. Health comes from the client: start its health checks for routing to avoid
// offline endpoints.
func NewWithEndpoints(client *signalr.MultiEndpointClient, opts *NegotiatorOptions) *Negotiator {
	n := &Negotiator{now: nowFunc}
	if client == nil {
		return n
	}
	m := &multi{client: client, router: DefaultRouter{}}
	if opts != nil && opts.Router != nil {
		m.router = opts.Router
	}
	for _, e := range client.Endpoints() {
		m.subs = append(m.subs, New(e.Client, opts))
	}
	n.multi = m
	return n
}

// route runs the router and returns the chosen endpoint's Negotiator.
func (n *Negotiator) route(ctx context.Context, hub string) (*Negotiator, error) {
	refs := n.multi.client.EndpointRefs()
	chosen, err := n.multi.router.Route(ctx, hub, refs)
	if err != nil {
		return nil, fmt.Errorf("negotiate: choosing an endpoint: %w", err)
	}
	for i, r := range refs {
		if strings.EqualFold(r.Name, chosen.Name) && (chosen.Endpoint == "" || strings.EqualFold(r.Endpoint, chosen.Endpoint)) {
			return n.multi.subs[i], nil
		}
	}
	return nil, fmt.Errorf("negotiate: the router chose endpoint %q (%s), which is not one of the client's endpoints", chosen.Name, chosen.Endpoint)
}

// Endpoints returns the service endpoints the Negotiator mints for, with their health: the
// value of a signalREndpoints input binding. A Negotiator of one Client reports one unnamed,
// online primary endpoint.
func (n *Negotiator) Endpoints() []signalr.EndpointRef {
	switch {
	case n == nil:
		return nil
	case n.multi != nil:
		return n.multi.client.EndpointRefs()
	case n.client != nil:
		return []signalr.EndpointRef{signalr.Endpoint{Client: n.client}.Ref()}
	}
	return nil
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

// GoString redacts the access tokens in %#v as well.
func (n Negotiation) GoString() string { return n.String() }

// MarshalJSON writes the signalRNegotiation shape; online is always written.
func (n Negotiation) MarshalJSON() ([]byte, error) {
	b := []byte(`{"endpoints":[`)
	for i, e := range n.Endpoints {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendEndpointJSON(b, e.EndpointRef)
		b = append(b[:len(b)-1], `,"connectionInfo":`...)
		b = e.ConnectionInfo.appendJSON(b)
		b = append(b, '}')
	}
	return append(b, "]}"...), nil
}

// AppendEndpointJSON appends the JSON of an endpoint as the Functions bindings deliver it:
// {"endpointType","name","endpoint","online"}, every field written. A signalREndpoints value is
// an array of these.
func AppendEndpointJSON(b []byte, e signalr.EndpointRef) []byte {
	b = append(b, `{"endpointType":`...)
	b = jsonwire.AppendString(b, string(e.EndpointType))
	b = append(b, `,"name":`...)
	b = jsonwire.AppendString(b, e.Name)
	b = append(b, `,"endpoint":`...)
	b = jsonwire.AppendString(b, e.Endpoint)
	if e.Online {
		b = append(b, `,"online":true}`...)
	} else {
		b = append(b, `,"online":false}`...)
	}
	return b
}

// NegotiateAll mints a connection info for every endpoint, so the client can choose (the
// signalRNegotiation binding). It fails when any endpoint cannot issue a token, naming it.
func (n *Negotiator) NegotiateAll(ctx context.Context, hub string, opts *Options) (Negotiation, error) {
	if n == nil || (n.client == nil && n.multi == nil) {
		return Negotiation{}, errNoClient
	}
	if n.multi == nil {
		info, err := n.Negotiate(ctx, hub, opts)
		if err != nil {
			return Negotiation{}, err
		}
		return Negotiation{Endpoints: []EndpointConnectionInfo{{EndpointRef: n.Endpoints()[0], ConnectionInfo: info}}}, nil
	}
	refs := n.multi.client.EndpointRefs()
	out := Negotiation{Endpoints: make([]EndpointConnectionInfo, len(refs))}
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, sub := range n.multi.subs {
		wg.Go(func() {
			info, err := sub.Negotiate(ctx, hub, opts)
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
