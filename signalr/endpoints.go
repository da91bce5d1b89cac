package signalr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Endpoint is one Azure SignalR Service instance of a multi-endpoint setup: a named Client with
// a role. Build the Client any way (connection string, access key, Microsoft Entra ID).
type Endpoint struct {
	// Name identifies the endpoint in Message.Endpoints, GroupAction.Endpoints and
	// MultiEndpointHubClient.WithEndpoints; names are compared without case. The endpoint of the
	// default connection setting has the empty name.
	Name string
	// Type is EndpointTypePrimary or EndpointTypeSecondary; empty means primary.
	Type EndpointType
	// Client talks to the instance.
	Client *Client
}

// NewEndpointFromConnectionString returns an endpoint whose client is built from a connection
// string (with an access key or an AuthType for Microsoft Entra ID). An empty typ means primary.
func NewEndpointFromConnectionString(name string, typ EndpointType, connectionString string, opts *ClientOptions) (Endpoint, error) {
	client, err := NewClientFromConnectionString(connectionString, opts)
	if err != nil {
		return Endpoint{}, fmt.Errorf("signalr: endpoint %q: %w", name, err)
	}
	return Endpoint{Name: name, Type: typ, Client: client}, nil
}

// Ref returns the endpoint as the Functions extension describes it (its "lite" endpoint), with
// Online set to true.
func (e Endpoint) Ref() EndpointRef {
	ref := EndpointRef{EndpointType: e.Type, Name: e.Name, Online: true}
	if ref.EndpointType == "" {
		ref.EndpointType = EndpointTypePrimary
	}
	if e.Client != nil {
		ref.Endpoint = e.Client.endpointWithPort
	}
	return ref
}

// Defaults of the health checks, the values of the service SDK's REST health checker.
const (
	DefaultHealthCheckInterval   = 2 * time.Minute
	DefaultHealthCheckTimeout    = 2 * time.Second
	DefaultHealthCheckRetries    = 2
	DefaultHealthCheckRetryDelay = 3 * time.Second
)

// HealthCheckOptions configures the health checks of a MultiEndpointClient. Zero values mean the
// defaults above.
type HealthCheckOptions struct {
	// Interval is the time between two rounds of checks.
	Interval time.Duration
	// Timeout bounds one HEAD /api/health request.
	Timeout time.Duration
	// Retries is how many times a failed check is repeated before the endpoint is marked
	// offline; negative means none.
	Retries int
	// RetryDelay is the wait before each repetition.
	RetryDelay time.Duration
}

// MultiEndpointClientOptions configures a MultiEndpointClient. A nil pointer means defaults.
type MultiEndpointClientOptions struct {
	// ClientOptions configure the clients that NewMultiEndpointClientFromEnvironment and
	// NewMultiEndpointClientFromSettings build; NewClientWithEndpoints takes built clients and
	// does not read them.
	ClientOptions
	// HealthCheck configures StartHealthChecks and CheckHealth.
	HealthCheck HealthCheckOptions
}

// MultiEndpointClient talks to several service instances at once: sends and group operations
// fan out to every endpoint concurrently, existence checks ask them all, and health checks track
// which endpoints are online for negotiate routing. It is safe for concurrent use. Close stops
// the health checks.
type MultiEndpointClient struct {
	endpoints []*endpointState
	hc        HealthCheckOptions

	// after is the clock of the health checks; tests replace it.
	after func(time.Duration) <-chan time.Time
	// roundDone, when set, is called after every round of health checks.
	roundDone func()

	mu      sync.Mutex
	started bool
	closed  bool
	stop    context.CancelFunc
	done    chan struct{}
}

type endpointState struct {
	Endpoint
	offline atomic.Bool // zero value: online until a check says otherwise
}

// NewClientWithEndpoints returns a client that fans out over endpoints. Names must be unique
// (without case); at most one endpoint may have the empty name. Health checks do not run until
// StartHealthChecks.
func NewClientWithEndpoints(endpoints []Endpoint, opts *MultiEndpointClientOptions) (*MultiEndpointClient, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("signalr: no endpoints; expected at least one signalr.Endpoint")
	}
	if opts == nil {
		opts = &MultiEndpointClientOptions{}
	}
	c := &MultiEndpointClient{hc: opts.HealthCheck, after: time.After}
	if c.hc.Interval <= 0 {
		c.hc.Interval = DefaultHealthCheckInterval
	}
	if c.hc.Timeout <= 0 {
		c.hc.Timeout = DefaultHealthCheckTimeout
	}
	switch {
	case c.hc.Retries == 0:
		c.hc.Retries = DefaultHealthCheckRetries
	case c.hc.Retries < 0:
		c.hc.Retries = 0
	}
	if c.hc.RetryDelay <= 0 {
		c.hc.RetryDelay = DefaultHealthCheckRetryDelay
	}
	seen := map[string]bool{}
	for i, e := range endpoints {
		if e.Client == nil {
			return nil, fmt.Errorf("signalr: endpoint %d (%q) has no Client", i, e.Name)
		}
		switch {
		case e.Type == "" || strings.EqualFold(string(e.Type), string(EndpointTypePrimary)):
			e.Type = EndpointTypePrimary
		case strings.EqualFold(string(e.Type), string(EndpointTypeSecondary)):
			e.Type = EndpointTypeSecondary
		default:
			return nil, fmt.Errorf("signalr: endpoint %q has type %q; expected Primary or Secondary", e.Name, e.Type)
		}
		key := strings.ToLower(e.Name)
		if seen[key] {
			return nil, fmt.Errorf("signalr: endpoint name %q is used twice; names must differ ignoring case", e.Name)
		}
		seen[key] = true
		c.endpoints = append(c.endpoints, &endpointState{Endpoint: e})
	}
	return c, nil
}

// Endpoints returns the endpoints in the order they were given.
func (c *MultiEndpointClient) Endpoints() []Endpoint {
	out := make([]Endpoint, len(c.endpoints))
	for i, e := range c.endpoints {
		out[i] = e.Endpoint
	}
	return out
}

// EndpointRefs returns the endpoints with their health: Online is false for an endpoint whose
// last health check failed. A lone endpoint is always online: with nothing to fail over to,
// filtering it out would only turn a possibly transient failure into a certain one.
func (c *MultiEndpointClient) EndpointRefs() []EndpointRef {
	out := make([]EndpointRef, len(c.endpoints))
	for i, e := range c.endpoints {
		out[i] = e.Ref()
		out[i].Online = len(c.endpoints) == 1 || !e.offline.Load()
	}
	return out
}

// Endpoint returns the endpoint with the given name (compared without case).
func (c *MultiEndpointClient) Endpoint(name string) (Endpoint, bool) {
	for _, e := range c.endpoints {
		if strings.EqualFold(e.Name, name) {
			return e.Endpoint, true
		}
	}
	return Endpoint{}, false
}

// StartHealthChecks checks every endpoint now and then every HealthCheckOptions.Interval, in one
// background goroutine, until Close. Calling it again does nothing. With a single endpoint there
// is nothing to route around, so no checks run. It fails after Close.
func (c *MultiEndpointClient) StartHealthChecks() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("signalr: StartHealthChecks after Close; expected a client that is not closed")
	}
	if c.started || len(c.endpoints) < 2 {
		return nil
	}
	c.started = true
	ctx, cancel := context.WithCancel(context.Background())
	c.stop, c.done = cancel, make(chan struct{})
	go c.loop(ctx)
	return nil
}

func (c *MultiEndpointClient) loop(ctx context.Context) {
	defer close(c.done)
	for {
		c.CheckHealth(ctx)
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

// Close stops the health checks and waits for them to end. The client keeps working for
// requests; only the health tracking stops.
func (c *MultiEndpointClient) Close() {
	c.mu.Lock()
	c.closed = true
	stop, done := c.stop, c.done
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// CheckHealth checks every endpoint concurrently (HEAD /api/health, with HealthCheckOptions'
// timeout and retries) and marks each online or offline. It returns the joined errors of the
// endpoints found offline, each an *EndpointError, or nil.
func (c *MultiEndpointClient) CheckHealth(ctx context.Context) error {
	errs := make([]error, len(c.endpoints))
	var wg sync.WaitGroup
	for i, e := range c.endpoints {
		wg.Go(func() {
			err := c.checkOne(ctx, e)
			if ctx.Err() != nil {
				return // stopping: a cancelled check says nothing about the endpoint
			}
			e.offline.Store(err != nil)
			if err != nil {
				errs[i] = &EndpointError{Name: e.Name, Endpoint: e.Ref().Endpoint, Err: err}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// noRetry keeps azcore's retry policy out of health checks: they have their own schedule.
var noRetry = policy.RetryOptions{MaxRetries: -1}

func (c *MultiEndpointClient) checkOne(ctx context.Context, e *endpointState) error {
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
		_, err = e.Client.Health(tctx, nil)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// EndpointError is the failure of one endpoint in a fan-out; errors.As finds it, and through
// it the *azcore.ResponseError, in the joined error a MultiEndpointHubClient returns.
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
