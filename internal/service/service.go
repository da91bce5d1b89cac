// Package service holds what the module's packages share about Azure SignalR Service without
// making it public API: the hub name rule, the app settings of several endpoints, the negotiate
// request carried in a context, and hooks into signalr.Client.
//
// The hooks reach what negotiate, trigger and the test host need from a client's endpoints
// (URLs, keys, routing). signalr cannot be imported from here, since it imports this package,
// so it fills the hooks in when it is initialised and they take the *signalr.Client as any.
package service

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
)

// namePattern is the service's rule for hub and application names.
var namePattern = regexp.MustCompile("^[A-Za-z][A-Za-z0-9_`,.\\[\\]]{0,127}$")

// ValidName reports whether name is a valid hub or application name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ValidateHubName returns an error saying what a valid hub name is when name is not one.
func ValidateHubName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("signalr: hub name %q is invalid; expected a letter then up to 127 letters, digits or _`,.[]", name)
	}
	return nil
}

// EndpointsSection is the configuration section of named endpoints, as the Functions extension
// reads it: Azure:SignalR:Endpoints:<name>[:primary|:secondary] = connection string, or
// identity-based keys under Azure:SignalR:Endpoints:<name>. Environment variables write "__"
// for ':'.
const EndpointsSection = "Azure:SignalR:Endpoints"

// IsEndpointSetting reports whether an app setting name belongs to EndpointsSection, in the ':'
// or "__" form (without case).
func IsEndpointSetting(name string) bool {
	_, ok := EndpointSettingRest(name)
	return ok
}

// EndpointSettingRest returns what follows EndpointsSection in name, with ':' as the
// separator; ok is false for names outside the section.
func EndpointSettingRest(name string) (rest string, ok bool) {
	norm := strings.ReplaceAll(name, "__", ":")
	prefix := EndpointsSection + ":"
	if len(norm) <= len(prefix) || !strings.EqualFold(norm[:len(prefix)], prefix) {
		return "", false
	}
	return norm[len(prefix):], true
}

type requestKey struct{}

// ContextWithRequest returns ctx carrying the HTTP request a negotiation answers, for a
// signalr.Router choosing by region header, user or query.
func ContextWithRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFromContext returns the request ContextWithRequest stored.
func RequestFromContext(ctx context.Context) (*http.Request, bool) {
	r, ok := ctx.Value(requestKey{}).(*http.Request)
	return r, ok && r != nil
}

// Endpoint is one endpoint of a signalr.Client as negotiate and trigger see it.
type Endpoint struct {
	// Name is the endpoint's name, "" for the endpoint of the connection setting.
	Name string
	// URL is the endpoint with its port, as routing and results name it.
	URL string
	// ClientURL is the base URL clients connect to (ClientEndpoint, else Endpoint with Port).
	ClientURL string
	// AudienceBase is scheme://host/ of the endpoint without port: the base of client token
	// audiences.
	AudienceBase string
	// Application is the lowercased application name that prefixes hubs, or "".
	Application string
	// AccessKey returns the current access key; nil when the endpoint uses Microsoft Entra ID.
	// The key must never be logged.
	AccessKey func() string
	// TemporaryAccessKey asks the service for a signing key for a Microsoft Entra identity
	// (GET /api/v1/auth/accessKey).
	TemporaryAccessKey func(ctx context.Context) (keyID, key string, err error)
	// GenerateClientToken asks the service to mint a client token for hub
	// (POST /api/hubs/{hub}/:generateToken).
	GenerateClientToken func(ctx context.Context, hub, userID string, lifetime time.Duration) (string, error)
}

// Hooks into signalr.Client; signalr sets them when it is initialised.
var (
	// Endpoints returns the endpoints of a *signalr.Client in the order of its Endpoints method.
	Endpoints func(client any) []Endpoint
	// AccessKeys appends the current access key of every endpoint of a *signalr.Client that has
	// one to dst.
	AccessKeys func(client any, dst []string) []string
	// Route returns the index of the endpoint a client of hub connects to, chosen by the
	// client's Router among its endpoints and their health.
	Route func(ctx context.Context, client any, hub string) (int, error)
	// NewClientFromSettings builds a *signalr.Client from app settings the way
	// signalr.NewClientFromEnvironment reads the environment; opts is a *signalr.ClientOptions
	// or nil.
	NewClientFromSettings func(setting string, settings map[string]string, opts any) (any, error)
)

// AppendEndpointJSON appends the JSON of an endpoint as the Functions bindings deliver it:
// {"endpointType","name","endpoint","online"}, every field written. A signalREndpoints value
// is an array of these; a signalRNegotiation value adds connectionInfo to each.
func AppendEndpointJSON(b []byte, endpointType, name, endpoint string, online bool) []byte {
	b = append(b, `{"endpointType":`...)
	b = jsonwire.AppendString(b, endpointType)
	b = append(b, `,"name":`...)
	b = jsonwire.AppendString(b, name)
	b = append(b, `,"endpoint":`...)
	b = jsonwire.AppendString(b, endpoint)
	if online {
		b = append(b, `,"online":true}`...)
	} else {
		b = append(b, `,"online":false}`...)
	}
	return b
}
