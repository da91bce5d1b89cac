package signalr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/funcsignalr/funcsignalr/internal"
	"github.com/funcsignalr/funcsignalr/internal/service"
)

// DefaultAPIVersion is the REST API version sent unless ClientOptions.APIVersion says otherwise.
const DefaultAPIVersion = "2024-12-01"

// EntraScope is the Microsoft Entra ID scope of tokens for the service's data plane.
const EntraScope = "https://signalr.azure.com/.default"

// ClientOptions configures a Client. A nil *ClientOptions means defaults.
//
// The embedded azcore.ClientOptions apply as usual: APIVersion replaces DefaultAPIVersion on
// every request, Retry configures retries (message sends are never retried on a 500, whatever
// it says), Transport replaces the HTTP client, Telemetry.ApplicationID prefixes the User-Agent,
// and InsecureAllowCredentialWithHTTP lets a Microsoft Entra token travel over plain http.
//
// NewClientWithEndpoints reads only HealthCheck and Router: each Endpoint's Client keeps the
// pipeline and ApplicationName it was built with.
type ClientOptions struct {
	azcore.ClientOptions

	// ApplicationName prefixes every hub ("<app>_<hub>") so several apps can share one service.
	ApplicationName string

	// HealthCheck configures the health checks of a client with several endpoints.
	HealthCheck HealthCheckOptions

	// Router chooses the endpoint a negotiating client connects to when there are several; nil
	// picks at random among the online primary endpoints, else among the online secondary ones,
	// else fails with ErrNoEndpointOnline: the service SDK's default routing, without its
	// capacity weighting.
	Router Router
}

// HealthCheckOptions configures the health checks of a client with several endpoints: HEAD
// /api/health on every endpoint, so negotiation routes clients to online endpoints. Zero values
// are the service SDK's defaults.
type HealthCheckOptions struct {
	// Interval is the time between two rounds of checks; zero means two minutes.
	Interval time.Duration
	// Timeout bounds one HEAD /api/health request; zero means two seconds.
	Timeout time.Duration
	// Retries is how many times a failed check is repeated before the endpoint is marked
	// offline; zero means two, negative means none.
	Retries int
	// RetryDelay is the wait before each repetition; zero means three seconds.
	RetryDelay time.Duration
}

// Client talks to Azure SignalR Service over one or more service endpoints. Sends and group
// changes go to every endpoint, existence checks ask them all, and negotiation routes each
// client to one (see the package documentation). It is safe for concurrent use; Hub returns a
// cheap hub-scoped child. Close stops the health checks of a client with several endpoints.
type Client struct {
	endpoints []*endpoint
	all       []int // 0..len(endpoints)-1, the selection of every endpoint
	router    Router
	hc        HealthCheckOptions // defaults applied

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

// errNoEndpoints is the error of a Client not built by a constructor.
var errNoEndpoints = errors.New("signalr: the Client has no endpoints; build it with NewClientFromEnvironment, NewClientFromConnectionString, NewClient, NewClientWithAccessKey or NewClientWithEndpoints")

// check refuses a nil or zero Client, which would otherwise send nothing and report success.
func (c *Client) check() error {
	if c == nil || len(c.endpoints) == 0 {
		return errNoEndpoints
	}
	return nil
}

// conn reaches one service instance: its azcore pipeline, base URLs and credential.
type conn struct {
	internal  *azcore.Client
	serverURL string
	clientURL string
	// url is Endpoint with Port applied: how the endpoint is named in routing and results.
	url         string
	audience    string
	application string
	accessKey   *AccessKeyCredential
	credential  azcore.TokenCredential
}

// NewClient returns a client that authenticates with Microsoft Entra ID. endpoint is the
// service URL, such as https://<name>.service.signalr.net.
func NewClient(endpoint string, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, errors.New("signalr: token credential is nil")
	}
	base, err := parseBaseURL("endpoint", endpoint)
	if err != nil {
		return nil, err
	}
	cs := &ConnectionString{Endpoint: base, AuthType: AuthTypeAzure}
	return newClient(cs, nil, cred, opts)
}

// NewClientWithAccessKey returns a client that signs requests with an access key.
func NewClientWithAccessKey(endpoint string, key *AccessKeyCredential, opts *ClientOptions) (*Client, error) {
	if err := key.validate(); err != nil {
		return nil, err
	}
	base, err := parseBaseURL("endpoint", endpoint)
	if err != nil {
		return nil, err
	}
	return newClient(&ConnectionString{Endpoint: base}, key, nil, opts)
}

// NewClientFromConnectionString returns a client configured by a connection string, with an
// access key or, when AuthType is set, a Microsoft Entra credential.
func NewClientFromConnectionString(connectionString string, opts *ClientOptions) (*Client, error) {
	cs, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	return newClientFromParsed(cs, opts)
}

// newClientFromParsed is NewClientFromConnectionString for an already parsed value.
func newClientFromParsed(cs *ConnectionString, opts *ClientOptions) (*Client, error) {
	if cs.UsesEntraID() {
		cred, err := cs.Credential()
		if err != nil {
			return nil, fmt.Errorf("signalr: building the Microsoft Entra credential: %w", err)
		}
		return newClient(cs, nil, cred, opts)
	}
	return newClient(cs, NewAccessKeyCredential(cs.AccessKey), nil, opts)
}

// newClient returns a one-endpoint client: the unnamed primary endpoint cs describes.
func newClient(cs *ConnectionString, key *AccessKeyCredential, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	c, err := newConn(cs, key, cred, opts)
	if err != nil {
		return nil, err
	}
	return newMulti([]*endpoint{{typ: EndpointTypePrimary, conn: c}}, opts), nil
}

func newConn(cs *ConnectionString, key *AccessKeyCredential, cred azcore.TokenCredential, opts *ClientOptions) (*conn, error) {
	if opts.ApplicationName != "" && !service.ValidName(opts.ApplicationName) {
		return nil, fmt.Errorf("signalr: application name %q is invalid; expected a letter then up to 127 letters, digits or _`,.[]", opts.ApplicationName)
	}
	var auth policy.Policy
	if key != nil {
		auth = newAccessKeyPolicy(key)
	} else {
		auth = runtime.NewBearerTokenPolicy(cred, []string{EntraScope}, &policy.BearerTokenOptions{
			InsecureAllowCredentialWithHTTP: opts.InsecureAllowCredentialWithHTTP,
		})
	}
	azClient, err := azcore.NewClient(internal.ModuleName, internal.ModuleVersion, runtime.PipelineOptions{
		// Registering the parameter is what makes ClientOptions.APIVersion work.
		APIVersion: runtime.APIVersionOptions{Name: "api-version", Location: runtime.APIVersionLocationQueryParam},
		// messageRetryPolicy sits inside the retry loop, before auth, so it sees every attempt.
		PerRetry:               []policy.Policy{messageRetryPolicy{}, auth},
		AllowedQueryParameters: []string{"api-version", "application", "excluded", "ttl", "minutesToExpire", "maxpagesize", "top"},
	}, &opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	return &conn{
		internal:    azClient,
		serverURL:   cs.serverURL(),
		clientURL:   cs.clientURL(),
		url:         withPort(cs.Endpoint, cs.Port),
		audience:    cs.audienceBase(),
		application: strings.ToLower(opts.ApplicationName),
		accessKey:   key,
		credential:  cred,
	}, nil
}

// HubClient sends to and manages the connections of one hub on the endpoints of its Client.
// It shares the Client's pipelines, is immutable and safe for concurrent use.
//
// Every operation runs on each selected endpoint, concurrently when there are several, and its
// response lists the outcome per endpoint in Endpoints. Selected means every endpoint of the
// Client, narrowed by WithEndpoints and, for sends and Apply, by the Endpoints field of the
// Message or GroupAction. A failure on any endpoint fails the call: with several endpoints the
// error joins one *EndpointError per failed endpoint, naming it; with one endpoint it is the
// endpoint's error itself. Either way errors.As finds the *azcore.ResponseError.
type HubClient struct {
	client  *Client
	hub     string        // lowercased
	escaped string        // hub as a path segment
	only    []EndpointRef // WithEndpoints; nil means every endpoint
}

// Hub returns a client for one hub. Hub names are case-insensitive and lowercased, as the
// service's SDKs do; an invalid name is an error.
func (c *Client) Hub(name string) (*HubClient, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := service.ValidateHubName(name); err != nil {
		return nil, err
	}
	lower := strings.ToLower(name)
	return &HubClient{client: c, hub: lower, escaped: url.PathEscape(lower)}, nil
}

// Name is the lowercased hub name.
func (h *HubClient) Name() string { return h.hub }

// WithEndpoints returns a client for the same hub that only reaches the named endpoints (names
// or endpoint URLs, compared without case), like the service SDK's WithEndpoints. Naming an
// endpoint the client does not have makes every call fail; naming none selects every endpoint.
func (h *HubClient) WithEndpoints(names ...string) *HubClient {
	c := *h
	if len(names) == 0 {
		c.only = nil // no names selects every endpoint, as an empty Message.Endpoints does
		return &c
	}
	c.only = make([]EndpointRef, len(names))
	for i, n := range names {
		c.only[i] = EndpointRef{Name: n}
	}
	return &c
}

// temporaryAccessKey is a signing key the service issues to Microsoft Entra identities, so they
// can mint client tokens locally. KeyID goes into the token's kid header.
type temporaryAccessKey struct {
	KeyID     string `json:"KeyId"`
	AccessKey string `json:"AccessKey"`
}

// String redacts the key.
func (k temporaryAccessKey) String() string {
	return "signalr.temporaryAccessKey(" + k.KeyID + ", REDACTED)"
}

// getTemporaryAccessKey asks the service for a temporary access key (GET /api/v1/auth/accessKey).
// It needs a Microsoft Entra identity with the SignalR Service Owner role.
func (c *conn) getTemporaryAccessKey(ctx context.Context) (temporaryAccessKey, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.serverURL, "/api/v1/auth/accessKey"))
	if err != nil {
		return temporaryAccessKey{}, err
	}
	resp, err := c.internal.Pipeline().Do(req)
	if err != nil {
		return temporaryAccessKey{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return temporaryAccessKey{}, runtime.NewResponseError(resp)
	}
	var key temporaryAccessKey
	body, err := runtime.Payload(resp)
	if err != nil {
		return temporaryAccessKey{}, err
	}
	if err := json.Unmarshal(body, &key); err != nil || key.KeyID == "" || key.AccessKey == "" {
		return temporaryAccessKey{}, errors.New("signalr: the accessKey response is not {\"KeyId\":…,\"AccessKey\":…}")
	}
	return key, nil
}

// health checks one endpoint (HEAD /api/health). Any 2xx is healthy; otherwise it returns an
// *azcore.ResponseError (the SDKs treat 5xx as unhealthy).
func (c *conn) health(ctx context.Context) error {
	req, err := runtime.NewRequest(ctx, http.MethodHead, c.serverURL+"/api/health?api-version="+DefaultAPIVersion)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	return expect(resp)
}

// Health checks every endpoint now (HEAD /api/health) and reports each outcome in
// HealthResponse.Endpoints. Any 2xx is healthy. With one endpoint the check goes through the
// client's pipeline and its retries, and a failure is the *azcore.ResponseError itself. With
// several, each check follows ClientOptions.HealthCheck (timeout and retries), marks the
// endpoint online or offline for routing as the background checks do, and the error joins one
// *EndpointError per endpoint found offline.
func (c *Client) Health(ctx context.Context, options *HealthOptions) (HealthResponse, error) {
	if err := c.check(); err != nil {
		return HealthResponse{}, err
	}
	if len(c.endpoints) == 1 {
		e := c.endpoints[0]
		res := []EndpointResult{{Endpoint: e.ref(true)}}
		err := e.conn.health(ctx)
		if err != nil {
			res[0].Err = &EndpointError{Name: e.name, Endpoint: e.conn.url, Err: err}
		}
		return HealthResponse{Endpoints: res}, err
	}
	res, err := c.checkHealth(ctx)
	return HealthResponse{Endpoints: res}, err
}
