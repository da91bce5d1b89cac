package negotiate

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// HandlerOptions configures Handler. A nil *HandlerOptions means defaults.
type HandlerOptions struct {
	// UserID returns the user of a request. An error answers 401 with the error's text, which
	// the SignalR client shows, so it must not contain secrets. The default reads App Service
	// authentication headers (PrincipalFromRequest) and treats a request without them as
	// anonymous; those headers are trustworthy only behind App Service authentication, so
	// anywhere else set UserID to the application's own authentication.
	UserID func(*http.Request) (string, error)
	// Claims returns claims for the token, such as ClaimsFromIDToken on the Authorization
	// header. An error answers 401 with the error's text.
	Claims func(*http.Request) ([]Claim, error)
	// RequireUser answers 401 when the request has no user id.
	RequireUser bool
	// Lifetime is the token lifetime; zero means one hour. See Options.Lifetime.
	Lifetime time.Duration
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed to negotiate with
	// credentials, as the SignalR JS client does by default. "*" is refused: with credentials
	// it would let any site obtain tokens for the signed-in user.
	AllowedOrigins []string
	// Logger receives failures the response does not detail, such as why the service refused a
	// key. Nil discards them.
	Logger *slog.Logger
}

// CORS values for the SignalR JS client: it sends these headers and credentials by default.
const (
	corsAllowMethods = "GET, POST, OPTIONS"
	corsAllowHeaders = "authorization, x-requested-with, x-signalr-user-agent, content-type"
	corsMaxAge       = "600"
)

type handler struct {
	n       *Negotiator
	hub     string
	opts    HandlerOptions
	origins map[string]bool
}

// Handler returns an http.Handler for <base>/negotiate: it answers POST and GET with the
// application/json ConnectionInfo the SignalR clients follow as a redirect to the service, and
// CORS preflight OPTIONS for AllowedOrigins. Failures are JSON {"error": "…"} with a status:
// 401 for a missing or rejected user, 405 for other methods, 413 when claims make the token
// too long, 503 when no endpoint is online, 500 when no token can be issued. With several
// endpoints the request is in the context the client's Router receives (RequestFromContext).
//
// A configuration mistake (no Negotiator, an invalid hub name, a wildcard origin, a lifetime
// out of range) is an error here, not a failure of every request.
func Handler(n *Negotiator, hub string, opts *HandlerOptions) (http.Handler, error) {
	if n == nil || n.client == nil {
		return nil, errors.New("negotiate: Handler has no Negotiator; pass the one negotiate.New returns")
	}
	if err := service.ValidateHubName(hub); err != nil {
		return nil, fmt.Errorf("negotiate: Handler: %w", err)
	}
	h := &handler{n: n, hub: hub, origins: map[string]bool{}}
	if opts != nil {
		h.opts = *opts
	}
	if _, err := checkLifetime(h.opts.Lifetime); err != nil {
		return nil, fmt.Errorf("negotiate: HandlerOptions.Lifetime: %w", err)
	}
	for _, o := range h.opts.AllowedOrigins {
		o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
		if o == "*" || o == "" {
			return nil, errors.New("negotiate: HandlerOptions.AllowedOrigins contains \"*\" or an empty entry; list each origin, such as https://app.example.com, since the SignalR client sends credentials")
		}
		h.origins[o] = true
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && h.origins[strings.ToLower(origin)]
	if origin != "" {
		w.Header().Add("Vary", "Origin")
	}
	if allowed {
		// Echo the origin: "*" is invalid together with credentials.
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}

	switch r.Method {
	case http.MethodOptions:
		if r.Header.Get("Access-Control-Request-Method") == "" {
			w.Header().Set("Allow", corsAllowMethods)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !allowed {
			writeError(w, http.StatusForbidden, "negotiate: origin "+quoteOrigin(origin)+" is not in HandlerOptions.AllowedOrigins")
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", corsAllowMethods)
		w.Header().Set("Access-Control-Allow-Headers", corsAllowHeaders)
		w.Header().Set("Access-Control-Max-Age", corsMaxAge)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost, http.MethodGet:
	default:
		w.Header().Set("Allow", corsAllowMethods)
		writeError(w, http.StatusMethodNotAllowed, "negotiate: method "+r.Method+" is not allowed; the SignalR client negotiates with POST")
		return
	}

	userID, status, msg := h.userID(r)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	if userID == "" && h.opts.RequireUser {
		writeError(w, http.StatusUnauthorized, "negotiate: this hub requires a signed-in user and the request has none")
		return
	}
	var claims []Claim
	if h.opts.Claims != nil {
		var err error
		if claims, err = h.opts.Claims(r); err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	ctx := r.Context()
	if len(h.n.eps) > 1 {
		ctx = service.ContextWithRequest(ctx, r) // for the Router
	}
	info, err := h.n.Negotiate(ctx, h.hub, &Options{UserID: userID, Claims: claims, Lifetime: h.opts.Lifetime})
	if err != nil {
		h.writeNegotiateError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The body is a bearer token: keep it out of shared caches.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(info.appendJSON(make([]byte, 0, len(info.URL)+len(info.AccessToken)+64)))
}

// userID resolves the user; a non-zero status is a failure to answer with msg.
func (h *handler) userID(r *http.Request) (id string, status int, msg string) {
	if h.opts.UserID != nil {
		id, err := h.opts.UserID(r)
		if err != nil {
			return "", http.StatusUnauthorized, err.Error()
		}
		return id, 0, ""
	}
	p, err := PrincipalFromRequest(r)
	switch {
	case errors.Is(err, ErrNoPrincipal):
		return "", 0, ""
	case err != nil:
		return "", http.StatusUnauthorized, err.Error()
	}
	return p.ID, 0, ""
}

func (h *handler) writeNegotiateError(w http.ResponseWriter, r *http.Request, err error) {
	var keyErr *KeyError
	switch {
	case errors.Is(err, ErrTokenTooLong):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
	case errors.Is(err, signalr.ErrNoEndpointOnline):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case r.Context().Err() != nil:
		writeError(w, http.StatusServiceUnavailable, "negotiate: the request ended before a token was issued")
	case errors.As(err, &keyErr):
		// The service's answer stays in the log: the client only needs to know whom to ask.
		if h.opts.Logger != nil {
			h.opts.Logger.ErrorContext(r.Context(), "negotiate: no signing key", "hub", h.hub, "error", err)
		}
		writeError(w, http.StatusInternalServerError, "negotiate: the app could not obtain a signing key from Azure SignalR Service; check its identity's SignalR Service Owner role")
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// writeError answers {"error": msg}, the field the SignalR clients report to the developer.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b := append([]byte(`{"error":`), jsonwire.AppendString(nil, msg)...)
	_, _ = w.Write(append(b, '}'))
}

// quoteOrigin bounds a client-sent origin before it goes into a message.
func quoteOrigin(o string) string {
	return string(jsonwire.AppendString(nil, truncate(o)))
}
