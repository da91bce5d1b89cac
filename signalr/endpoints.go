package signalr

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Endpoint is one Azure SignalR Service instance of a Client with several endpoints: a named
// one-endpoint Client with a role. Build the Client any way (connection string, access key,
// Microsoft Entra ID).
type Endpoint struct {
	// Name identifies the endpoint in Message.Endpoints, GroupAction.Endpoints and
	// HubClient.WithEndpoints; names are compared without case. The endpoint of the default
	// connection setting has the empty name.
	Name string
	// Type is EndpointTypePrimary or EndpointTypeSecondary; empty means primary.
	Type EndpointType
	// Client talks to the instance; it must have exactly one endpoint.
	Client *Client
}

// endpoint is one endpoint of a Client.
type endpoint struct {
	name    string
	typ     EndpointType
	conn    *conn
	offline atomic.Bool // zero value: online until a check says otherwise
}

// ref describes the endpoint as the Functions extension does (its "lite" endpoint).
func (e *endpoint) ref(online bool) EndpointRef {
	return EndpointRef{EndpointType: e.typ, Name: e.name, Endpoint: e.conn.url, Online: online}
}

// Defaults of the health checks, the values of the service SDK's REST health checker.
const (
	defaultHealthCheckInterval   = 2 * time.Minute
	defaultHealthCheckTimeout    = 2 * time.Second
	defaultHealthCheckRetries    = 2
	defaultHealthCheckRetryDelay = 3 * time.Second
)

// NewClientWithEndpoints returns a client that spans the given endpoints. Names must be unique
// (without case); at most one endpoint may have the empty name. Each endpoint keeps the
// pipeline of its own Client; opts configures the health checks and routing across them.
//
// The health checks of a client with several endpoints start the first time routing or
// Endpoints needs them and stop at Close. A client with a single endpoint never checks it and
// never marks it offline: with nothing to fail over to, filtering it out would only turn a
// possibly transient failure into a certain one.
func NewClientWithEndpoints(endpoints []Endpoint, opts *ClientOptions) (*Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("signalr: no endpoints; expected at least one signalr.Endpoint")
	}
	if opts == nil {
		opts = &ClientOptions{}
	}
	seen := map[string]bool{}
	eps := make([]*endpoint, 0, len(endpoints))
	for i, e := range endpoints {
		if e.Client == nil {
			return nil, fmt.Errorf("signalr: endpoint %d (%q) has no Client", i, e.Name)
		}
		if n := len(e.Client.endpoints); n != 1 {
			if n == 0 {
				return nil, fmt.Errorf("signalr: endpoint %d (%q): %w", i, e.Name, errNoEndpoints)
			}
			return nil, fmt.Errorf("signalr: endpoint %d (%q) has a Client of %d endpoints; expected a Client of one endpoint", i, e.Name, n)
		}
		typ, err := parseEndpointType(e.Type)
		if err != nil {
			return nil, fmt.Errorf("signalr: endpoint %q %w", e.Name, err)
		}
		key := strings.ToLower(e.Name)
		if seen[key] {
			return nil, fmt.Errorf("signalr: endpoint name %q is used twice; names must differ ignoring case", e.Name)
		}
		seen[key] = true
		eps = append(eps, &endpoint{name: e.Name, typ: typ, conn: e.Client.endpoints[0].conn})
	}
	return newMulti(eps, opts), nil
}

// parseEndpointType accepts Primary and Secondary in any case; empty means Primary.
func parseEndpointType(t EndpointType) (EndpointType, error) {
	switch {
	case t == "" || strings.EqualFold(string(t), string(EndpointTypePrimary)):
		return EndpointTypePrimary, nil
	case strings.EqualFold(string(t), string(EndpointTypeSecondary)):
		return EndpointTypeSecondary, nil
	}
	return "", fmt.Errorf("has type %q; expected Primary or Secondary", t)
}

func newMulti(eps []*endpoint, opts *ClientOptions) *Client {
	c := &Client{endpoints: eps, router: opts.Router, hc: opts.HealthCheck, after: time.After}
	c.all = make([]int, len(eps))
	for i := range c.all {
		c.all[i] = i
	}
	if c.hc.Interval <= 0 {
		c.hc.Interval = defaultHealthCheckInterval
	}
	if c.hc.Timeout <= 0 {
		c.hc.Timeout = defaultHealthCheckTimeout
	}
	switch {
	case c.hc.Retries == 0:
		c.hc.Retries = defaultHealthCheckRetries
	case c.hc.Retries < 0:
		c.hc.Retries = 0
	}
	if c.hc.RetryDelay <= 0 {
		c.hc.RetryDelay = defaultHealthCheckRetryDelay
	}
	return c
}

// Endpoints returns the client's endpoints in order, with their health: Online is false for
// an endpoint whose last health check failed. With several endpoints the first call starts the
// background health checks; a lone endpoint is always online.
func (c *Client) Endpoints() []EndpointRef {
	if c.check() != nil {
		return nil
	}
	c.startHealthChecks()
	return c.refs()
}

func (c *Client) refs() []EndpointRef {
	out := make([]EndpointRef, len(c.endpoints))
	for i, e := range c.endpoints {
		out[i] = e.ref(c.online(e))
	}
	return out
}

func (c *Client) online(e *endpoint) bool { return len(c.endpoints) == 1 || !e.offline.Load() }

// Close stops the health checks and waits for them to end; it always returns nil. The client
// keeps working for requests, routing with the health last seen.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	c.closed = true
	stop, done := c.stop, c.done
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return nil
}

// startHealthChecks checks every endpoint now and then every HealthCheckOptions.Interval, in
// one background goroutine, until Close. Later calls do nothing, and so does a client with one
// endpoint, which has nothing to route around.
func (c *Client) startHealthChecks() {
	if len(c.endpoints) < 2 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return
	}
	c.started = true
	ctx, cancel := context.WithCancel(context.Background())
	c.stop, c.done = cancel, make(chan struct{})
	go c.healthLoop(ctx)
}

func (c *Client) healthLoop(ctx context.Context) {
	defer close(c.done)
	for {
		_, _ = c.checkHealth(ctx)
		if c.roundDone != nil {
			c.roundDone()
		}
		select {
		case <-ctx.Done():
			return
		case <-c.after(c.hc.Interval):
		}
	}
}

// checkHealth checks every endpoint concurrently (HEAD /api/health, with HealthCheckOptions'
// timeout and retries) and marks each online or offline. The error joins the *EndpointError of
// every endpoint found offline.
func (c *Client) checkHealth(ctx context.Context) ([]EndpointResult, error) {
	results := make([]EndpointResult, len(c.endpoints))
	var wg sync.WaitGroup
	for i, e := range c.endpoints {
		wg.Go(func() {
			err := c.checkOne(ctx, e)
			if ctx.Err() == nil { // a cancelled check says nothing about the endpoint
				e.offline.Store(err != nil)
			}
			results[i].Endpoint = e.ref(c.online(e))
			if err != nil {
				results[i].Err = &EndpointError{Name: e.name, Endpoint: e.conn.url, Err: err}
			}
		})
	}
	wg.Wait()
	return results, joinResults(results)
}

// noRetry keeps azcore's retry policy out of health checks: they have their own schedule.
var noRetry = policy.RetryOptions{MaxRetries: -1}

func (c *Client) checkOne(ctx context.Context, e *endpoint) error {
	var err error
	for attempt := 0; attempt <= c.hc.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-c.after(c.hc.RetryDelay):
			}
		}
		tctx, cancel := context.WithTimeout(policy.WithRetryOptions(ctx, noRetry), c.hc.Timeout)
		err = e.conn.health(tctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// Router chooses the service endpoint a client connects to, when a Client spans several
// endpoints (ClientOptions.Router). It must be safe for concurrent use.
type Router interface {
	// Route returns one of endpoints for a client of hub. endpoints carry their health in
	// Online. When the negotiation answers an HTTP request, negotiate.RequestFromContext(ctx)
	// returns it, so a router can choose by region header, user or query.
	Route(ctx context.Context, hub string, endpoints []EndpointRef) (EndpointRef, error)
}

// ErrNoEndpointOnline is returned when routing finds every endpoint offline.
var ErrNoEndpointOnline = errors.New("signalr: no Azure SignalR Service endpoint is online")

// defaultRoute picks at random among the online primary endpoints, else among the online
// secondary ones, else fails with ErrNoEndpointOnline: the service SDK's default routing,
// without its capacity weighting (REST clients see no capacity metrics).
func defaultRoute(endpoints []EndpointRef) (EndpointRef, error) {
	for _, typ := range []EndpointType{EndpointTypePrimary, EndpointTypeSecondary} {
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
	return EndpointRef{}, ErrNoEndpointOnline
}

// route returns the index of the endpoint a client of hub connects to. A lone endpoint is
// chosen without asking the Router.
func (c *Client) route(ctx context.Context, hub string) (int, error) {
	if len(c.endpoints) == 1 {
		return 0, nil
	}
	refs := c.Endpoints()
	var chosen EndpointRef
	var err error
	if c.router != nil {
		chosen, err = c.router.Route(ctx, hub, refs)
	} else {
		chosen, err = defaultRoute(refs)
	}
	if err != nil {
		return 0, err
	}
	for i, r := range refs {
		if strings.EqualFold(r.Name, chosen.Name) && (chosen.Endpoint == "" || sameURL(r.Endpoint, chosen.Endpoint)) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("signalr: the router chose endpoint %q (%s), which is not one of the client's endpoints", chosen.Name, chosen.Endpoint)
}

// EndpointResult is the outcome of an operation on one endpoint.
type EndpointResult struct {
	Endpoint EndpointRef
	// Err is nil when the endpoint succeeded; otherwise an *EndpointError.
	Err error
}

// EndpointError is the failure of one endpoint of a Client with several endpoints; errors.As
// finds it, and through it the *azcore.ResponseError, in the joined error a HubClient returns.
type EndpointError struct {
	// Name and Endpoint identify the endpoint.
	Name     string
	Endpoint string
	// Err is what went wrong there.
	Err error
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("signalr: endpoint %q (%s): %v", e.Name, e.Endpoint, e.Err)
}

// Unwrap returns Err.
func (e *EndpointError) Unwrap() error { return e.Err }

// joinResults joins the errors of the failed endpoints.
func joinResults(results []EndpointResult) error {
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}
