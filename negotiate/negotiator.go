package negotiate

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// Token lifetime bounds. The service documents one minute as the shortest lifetime of
// :generateToken and one hour as its default; it documents no maximum, so a day caps how long a
// leaked token stays usable.
const (
	DefaultLifetime = time.Hour
	MinLifetime     = time.Minute
	MaxLifetime     = 24 * time.Hour
)

// NegotiatorOptions configures a Negotiator. A nil *NegotiatorOptions means defaults. The key
// settings apply only to clients that use Microsoft Entra ID.
type NegotiatorOptions struct {
	// KeyRefreshInterval is the age at which a temporary access key is refreshed in the
	// background while it keeps being used. Default 55 minutes, as the service SDK does.
	KeyRefreshInterval time.Duration
	// KeyMaxAge is the age after which a temporary access key is no longer used. Default 120
	// minutes.
	KeyMaxAge time.Duration
	// KeyRetryInterval is how long to wait before asking for a key again after the service
	// refused (401 or 403): usually a missing SignalR Service Owner role. Default 5 minutes.
	KeyRetryInterval time.Duration
}

// Options are the claims of one client token. A nil *Options means an anonymous client with a
// one-hour token.
type Options struct {
	// UserID identifies the user across connections (the asrs.s.uid claim). Empty means
	// anonymous.
	UserID string
	// Claims are passed through to upstream handlers. A type may repeat; order is kept. Types
	// the service reserves (aud, exp, iat, nbf, iss, actort, acr, azp, c_hash, jti, nonce, a
	// second sub) are sent as asrs.u.<type>; the asrs.s. prefix is refused. So is anything the
	// service's upstream claims header ("type: value, type: value") could not carry as one
	// claim: a type with ',' or ": ", a value (or UserID, or role) with ": " after a ',', and
	// control characters.
	Claims []Claim
	// Roles are sent as "role" claims, after any role in Claims.
	Roles []string
	// Lifetime is how long the token is valid: zero means DefaultLifetime, otherwise from
	// MinLifetime to MaxLifetime. When set, ConnectionInfo.TokenLifetime reports it.
	Lifetime time.Duration
	// CloseOnAuthenticationExpiration asks the service to close the connection when
	// AuthenticationExpiresOn passes (asrs.s.coae and asrs.s.aeo).
	CloseOnAuthenticationExpiration bool
	// AuthenticationExpiresOn is when the user's authentication ends; zero means when the token
	// expires. Used only with CloseOnAuthenticationExpiration.
	AuthenticationExpiresOn time.Time
	// DiagnosticClient marks the connection as a diagnostic client (asrs.s.dc), whose traffic
	// the service logs in detail.
	DiagnosticClient bool
}

var noOptions Options

// nowFunc is the clock of new Negotiators.
var nowFunc = time.Now

// Negotiator issues connection info for clients of the endpoints of a signalr.Client. It is
// safe for concurrent use and meant to be shared: it caches per-hub URLs, signing state and,
// under Microsoft Entra ID, each endpoint's temporary signing key.
type Negotiator struct {
	client  *signalr.Client
	now     func() time.Time
	eps     []*endpointMinter // parallel to client.Endpoints()
	minters sync.Pool
}

// endpointMinter mints for one endpoint.
type endpointMinter struct {
	service.Endpoint
	keys *keyCache // nil when the endpoint has an access key

	hubs     sync.Map // hub as given -> *hubInfo
	hubCount atomic.Int32
}

// hubInfo is what minting needs from a hub name, computed once per name.
type hubInfo struct {
	hub       string // lowercased, without the application prefix
	name      string // prefixed and lowercased, as the service knows it
	url       string
	prefixB64 string // base64url of the payload's constant start, {"aud":"…",
}

// newHubInfo precomputes the start of every payload for a hub. JSON whitespace pads it to a
// multiple of three bytes, so its base64 form joins the encoding of the rest without a seam.
func newHubInfo(hub, full, url, audience string) *hubInfo {
	prefix := append([]byte(`{"aud":`), jsonwire.AppendString(nil, audience)...)
	prefix = append(prefix, ',')
	for len(prefix)%3 != 0 {
		prefix = append(prefix, ' ')
	}
	return &hubInfo{hub: hub, name: full, url: url, prefixB64: base64.RawURLEncoding.EncodeToString(prefix)}
}

// maxCachedHubs bounds the hub cache; names past it are computed on every call.
const maxCachedHubs = 1024

// New returns a Negotiator that mints tokens for client's endpoints: with an endpoint's access
// key, or under Microsoft Entra ID with a temporary key fetched from the service (falling back
// to the service's :generateToken operation when that key cannot be had).
func New(client *signalr.Client, opts *NegotiatorOptions) (*Negotiator, error) {
	if client == nil {
		return nil, errors.New("negotiate: the signalr.Client is nil; build one with signalr.NewClientFromEnvironment or NewClientFromConnectionString")
	}
	var o NegotiatorOptions
	if opts != nil {
		o = *opts
	}
	endpoints := service.Endpoints(client)
	if len(endpoints) == 0 {
		return nil, errors.New("negotiate: the signalr.Client has no endpoints; build it with a signalr constructor")
	}
	n := &Negotiator{client: client, now: nowFunc}
	n.minters.New = func() any { return new(minter) }
	for _, e := range endpoints {
		em := &endpointMinter{Endpoint: e}
		if e.AccessKey == nil {
			em.keys = newKeyCache(e.TemporaryAccessKey, o, func() time.Time { return n.now() })
		}
		n.eps = append(n.eps, em)
	}
	return n, nil
}

// Negotiate returns the URL and access token a client uses to connect to hub. Hub names are
// case-insensitive; the endpoint's application name, if any, prefixes them.
//
// With several endpoints, the client's Router (signalr.ClientOptions.Router) chooses the one
// the client connects to, among those its health checks find online; with every endpoint
// offline it fails with signalr.ErrNoEndpointOnline under the default routing. ctx reaches the
// Router: Handler puts the request in it (RequestFromContext).
//
// With an access key it does no I/O. Under Microsoft Entra ID it may fetch the temporary key
// (GET /api/v1/auth/accessKey) or, if that fails, call POST /api/hubs/{hub}/:generateToken; a
// service failure is then reported as a *KeyError wrapping the *azcore.ResponseError. A key
// due for refresh keeps serving while one background request, bounded to 30 seconds, renews it;
// callers that must wait for a key share one request and stop waiting when ctx ends.
func (n *Negotiator) Negotiate(ctx context.Context, hub string, opts *Options) (ConnectionInfo, error) {
	if n == nil || n.client == nil {
		return ConnectionInfo{}, errNoClient
	}
	if opts == nil {
		opts = &noOptions
	}
	lifetime, err := n.check(hub, opts)
	if err != nil {
		return ConnectionInfo{}, err
	}
	e := n.eps[0]
	if len(n.eps) > 1 {
		i, err := service.Route(ctx, n.client, hub)
		if err != nil {
			return ConnectionInfo{}, fmt.Errorf("negotiate: choosing an endpoint: %w", err)
		}
		e = n.eps[i]
	}
	return n.negotiate(ctx, e, hub, opts, lifetime)
}

var errNoClient = errors.New("negotiate: the Negotiator has no service client; create it with negotiate.New(client, nil)")

// check validates what does not depend on the endpoint, once per call. The hub name is
// validated here only with several endpoints: with one, the hub cache validates it on a miss.
func (n *Negotiator) check(hub string, opts *Options) (time.Duration, error) {
	lifetime, err := checkLifetime(opts.Lifetime)
	if err != nil {
		return 0, err
	}
	if len(n.eps) > 1 {
		if _, ok := n.eps[0].hubs.Load(hub); !ok {
			if err := service.ValidateHubName(hub); err != nil {
				return 0, fmt.Errorf("negotiate: %w", err)
			}
		}
	}
	if err := validateClaims(opts.UserID, opts.Claims, opts.Roles); err != nil {
		return 0, err
	}
	return lifetime, nil
}

// negotiate mints for one endpoint.
func (n *Negotiator) negotiate(ctx context.Context, e *endpointMinter, hub string, opts *Options, lifetime time.Duration) (ConnectionInfo, error) {
	h, err := e.hub(hub)
	if err != nil {
		return ConnectionInfo{}, err
	}
	info := ConnectionInfo{URL: h.url}
	if opts.Lifetime != 0 {
		info.TokenLifetime = lifetime
	}

	header, secret := localKeyHeader, ""
	if e.AccessKey != nil {
		secret = e.AccessKey()
	} else {
		k, kerr := e.keys.get(ctx)
		if kerr != nil {
			if ctx.Err() != nil {
				return ConnectionInfo{}, fmt.Errorf("negotiate: waiting for the service's signing key: %w", ctx.Err())
			}
			info.AccessToken, err = e.generateToken(ctx, h, opts, lifetime, kerr)
			if err != nil {
				return ConnectionInfo{}, err
			}
			if info.TokenLifetime != 0 {
				// The service counts whole minutes, rounding up as GenerateClientToken does.
				info.TokenLifetime = (lifetime + time.Minute - 1) / time.Minute * time.Minute
			}
			return info, nil
		}
		header, secret = k.header, k.secret
	}

	now := n.now()
	plan := claimsPlan{
		userID:      opts.UserID,
		claims:      opts.Claims,
		roles:       opts.Roles,
		diagnostic:  opts.DiagnosticClient,
		closeOnAuth: opts.CloseOnAuthenticationExpiration,
		issuedUnix:  now.Unix(),
		expiresUnix: now.Add(lifetime).Unix(),
	}
	plan.authExpiresUnix = plan.expiresUnix
	if !opts.AuthenticationExpiresOn.IsZero() {
		plan.authExpiresUnix = opts.AuthenticationExpiresOn.Unix()
	}
	m := n.minters.Get().(*minter)
	info.AccessToken, err = m.mint(header, secret, h, &plan)
	m.release()
	n.minters.Put(m)
	if err != nil {
		return ConnectionInfo{}, err
	}
	return info, nil
}

// generateToken asks the service to mint the token, for Entra identities whose temporary key is
// unavailable; the hub client applies the application prefix itself. :generateToken carries
// only a user id and a lifetime, so a request needing more fails loudly rather than losing
// claims.
func (e *endpointMinter) generateToken(ctx context.Context, h *hubInfo, opts *Options, lifetime time.Duration, keyErr error) (string, error) {
	if missing := notCarriedByGenerateToken(opts); missing != "" {
		return "", &KeyError{err: fmt.Errorf("the service's :generateToken fallback cannot carry %s: %w", missing, keyErr)}
	}
	token, err := e.GenerateClientToken(ctx, h.hub, opts.UserID, lifetime)
	if err != nil {
		return "", &KeyError{err: errors.Join(keyErr, fmt.Errorf(":generateToken: %w", err))}
	}
	if token == "" {
		return "", &KeyError{err: errors.Join(keyErr, errors.New(":generateToken returned no token"))}
	}
	return token, nil
}

// notCarriedByGenerateToken names the options :generateToken has no parameter for.
func notCarriedByGenerateToken(opts *Options) string {
	var missing []string
	if len(opts.Claims) > 0 {
		missing = append(missing, "claims")
	}
	if len(opts.Roles) > 0 {
		missing = append(missing, "roles")
	}
	if opts.DiagnosticClient {
		missing = append(missing, "DiagnosticClient")
	}
	if opts.CloseOnAuthenticationExpiration {
		missing = append(missing, "CloseOnAuthenticationExpiration")
	}
	return strings.Join(missing, ", ")
}

// KeyError reports that no signing key could be obtained from the service for a client using
// Microsoft Entra ID. Its message carries the service's answer but never key material; errors.As
// finds the *azcore.ResponseError inside. The usual cause is an identity without the SignalR
// Service Owner role.
type KeyError struct{ err error }

func (e *KeyError) Error() string {
	return "negotiate: no signing key could be obtained from the service (does the identity have the SignalR Service Owner role?): " + e.err.Error()
}

// Unwrap returns the underlying failure.
func (e *KeyError) Unwrap() error { return e.err }

func checkLifetime(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return DefaultLifetime, nil
	case d < MinLifetime || d > MaxLifetime:
		return 0, fmt.Errorf("negotiate: token lifetime %v is out of range; expected zero (one hour) or from %v to %v", d, MinLifetime, MaxLifetime)
	}
	return d, nil
}

// hub returns the cached URL and audience of a hub name.
func (e *endpointMinter) hub(name string) (*hubInfo, error) {
	if v, ok := e.hubs.Load(name); ok {
		return v.(*hubInfo), nil
	}
	if err := service.ValidateHubName(name); err != nil {
		return nil, fmt.Errorf("negotiate: %w", err)
	}
	full := strings.ToLower(name)
	if e.Application != "" {
		full = e.Application + "_" + full
	}
	// The service compares the audience with its own scheme://host/ (no port, never
	// ClientEndpoint), while clients connect to ClientEndpoint or Endpoint with Port.
	h := newHubInfo(strings.ToLower(name), full, e.ClientURL+"/client/?hub="+full, e.AudienceBase+"client/?hub="+full)
	if e.hubCount.Load() < maxCachedHubs {
		if _, loaded := e.hubs.LoadOrStore(name, h); !loaded {
			e.hubCount.Add(1)
		}
	}
	return h, nil
}
