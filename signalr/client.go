package signalr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/funcsignalr/funcsignalr/internal"
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
type ClientOptions struct {
	azcore.ClientOptions

	// ApplicationName prefixes every hub ("<app>_<hub>") so several apps can share one service.
	ApplicationName string
}

// Client talks to one Azure SignalR Service instance. It is immutable and safe for concurrent use;
// Hub returns a cheap hub-scoped child sharing its pipeline.
type Client struct {
	internal  *azcore.Client
	serverURL string
	clientURL string
	endpoint  string
	audience  string
	// endpointWithPort is Endpoint with Port applied, how endpoints are named in routing.
	endpointWithPort string
	application      string
	accessKey        *AccessKeyCredential
	credential       azcore.TokenCredential
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
	return NewClientFromParsedConnectionString(cs, opts)
}

// NewClientFromParsedConnectionString is NewClientFromConnectionString for an already parsed value.
func NewClientFromParsedConnectionString(cs *ConnectionString, opts *ClientOptions) (*Client, error) {
	if cs == nil {
		return nil, errors.New("signalr: connection string is nil")
	}
	if cs.UsesEntraID() {
		cred, err := cs.Credential()
		if err != nil {
			return nil, fmt.Errorf("signalr: building the Microsoft Entra credential: %w", err)
		}
		return newClient(cs, nil, cred, opts)
	}
	return newClient(cs, NewAccessKeyCredential(cs.AccessKey), nil, opts)
}

func newClient(cs *ConnectionString, key *AccessKeyCredential, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if opts == nil {
		opts = &ClientOptions{}
	}
	if opts.ApplicationName != "" && !namePattern.MatchString(opts.ApplicationName) {
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
	return &Client{
		internal:         azClient,
		serverURL:        cs.ServerURL(),
		clientURL:        cs.ClientURL(),
		endpoint:         cs.Endpoint,
		endpointWithPort: withPort(cs.Endpoint, cs.Port),
		audience:         cs.AudienceBase(),
		application:      strings.ToLower(opts.ApplicationName),
		accessKey:        key,
		credential:       cred,
	}, nil
}

// Endpoint is the service endpoint the client was built with, without Port applied.
func (c *Client) Endpoint() string { return c.endpoint }

// ServerURL is the base URL of REST calls (ServerEndpoint, else Endpoint with Port).
func (c *Client) ServerURL() string { return c.serverURL }

// ClientURL is the base URL handed to clients (ClientEndpoint, else Endpoint with Port).
func (c *Client) ClientURL() string { return c.clientURL }

// AudienceBase is scheme://host/ of the endpoint without port, the base of client token audiences.
func (c *Client) AudienceBase() string { return c.audience }

// ApplicationName is the lowercased application name prefix, or "".
func (c *Client) ApplicationName() string { return c.application }

// AccessKey is the access key credential, or nil when the client uses Microsoft Entra ID.
func (c *Client) AccessKey() *AccessKeyCredential { return c.accessKey }

// TokenCredential is the Microsoft Entra credential, or nil when the client uses an access key.
func (c *Client) TokenCredential() azcore.TokenCredential { return c.credential }

// namePattern is the service's rule for hub and application names.
var namePattern = regexp.MustCompile("^[A-Za-z][A-Za-z0-9_`,.\\[\\]]{0,127}$")

// HubClient sends to and manages the connections of one hub. It shares its Client's pipeline,
// is immutable and safe for concurrent use.
type HubClient struct {
	client  *Client
	hub     string // lowercased
	escaped string // hub as a path segment
	err     error  // the name is invalid: every call returns it
}

// Hub returns a client for one hub. Hub names are case-insensitive and lowercased, as the
// service's SDKs do. An invalid name makes every call of the returned client fail with the
// validation error; use NewHubClient to get the error at once.
func (c *Client) Hub(name string) *HubClient {
	lower := strings.ToLower(name)
	return &HubClient{client: c, hub: lower, escaped: url.PathEscape(lower), err: ValidateHubName(name)}
}

// NewHubClient is Hub with the name checked up front.
func (c *Client) NewHubClient(name string) (*HubClient, error) {
	if err := ValidateHubName(name); err != nil {
		return nil, err
	}
	return c.Hub(name), nil
}

// ValidateHubName reports whether name is a valid hub name.
func ValidateHubName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("signalr: hub name %q is invalid; expected a letter then up to 127 letters, digits or _`,.[]", name)
	}
	return nil
}

// Name is the lowercased hub name.
func (h *HubClient) Name() string { return h.hub }

// Client is the service client the hub belongs to.
func (h *HubClient) Client() *Client { return h.client }

// TemporaryAccessKey is a signing key the service issues to Microsoft Entra identities, so they
// can mint client tokens locally. KeyID goes into the token's kid header.
type TemporaryAccessKey struct {
	KeyID     string `json:"KeyId"`
	AccessKey string `json:"AccessKey"`
}

// String redacts the key.
func (k TemporaryAccessKey) String() string {
	return "signalr.TemporaryAccessKey(" + k.KeyID + ", REDACTED)"
}

// GetTemporaryAccessKey asks the service for a temporary access key (GET /api/v1/auth/accessKey).
// It needs a Microsoft Entra identity with the SignalR Service Owner role.
func (c *Client) GetTemporaryAccessKey(ctx context.Context) (TemporaryAccessKey, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.serverURL, "/api/v1/auth/accessKey"))
	if err != nil {
		return TemporaryAccessKey{}, err
	}
	resp, err := c.internal.Pipeline().Do(req)
	if err != nil {
		return TemporaryAccessKey{}, err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return TemporaryAccessKey{}, runtime.NewResponseError(resp)
	}
	var key TemporaryAccessKey
	body, err := runtime.Payload(resp)
	if err != nil {
		return TemporaryAccessKey{}, err
	}
	if err := json.Unmarshal(body, &key); err != nil || key.KeyID == "" || key.AccessKey == "" {
		return TemporaryAccessKey{}, errors.New("signalr: the accessKey response is not {\"KeyId\":…,\"AccessKey\":…}")
	}
	return key, nil
}

// Health checks that the service is reachable and healthy (HEAD /api/health). Any 2xx is
// healthy; otherwise it returns an *azcore.ResponseError (the SDKs treat 5xx as unhealthy).
func (c *Client) Health(ctx context.Context, options *HealthOptions) (HealthResponse, error) {
	req, err := runtime.NewRequest(ctx, http.MethodHead, c.serverURL+"/api/health?api-version="+DefaultAPIVersion)
	if err != nil {
		return HealthResponse{}, err
	}
	resp, err := c.send(req)
	if err != nil {
		return HealthResponse{}, err
	}
	return HealthResponse{}, expect(resp)
}
