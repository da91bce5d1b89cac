package bindings

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
	"github.com/funcsignalr/funcsignalr/internal/service"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

func init() {
	// The fake host hands an in-process App its app settings, as the real host hands a custom
	// handler's process its environment.
	apphooks.SetSettings = func(h http.Handler, settings func(setting string) map[string]string) bool {
		a, ok := h.(*App)
		if !ok || a == nil {
			return false
		}
		a.settingsMu.Lock()
		defer a.settingsMu.Unlock()
		a.settings = settings
		return true
	}
}

// appSettings returns the app settings a connection setting is read from: those the fake host
// gave, else the process environment, where the Functions host puts them.
func (a *App) appSettings(setting string) map[string]string {
	a.settingsMu.Lock()
	settings := a.settings
	a.settingsMu.Unlock()
	if settings != nil {
		return settings(setting)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// minter mints a negotiate function's connection info in the App, as negotiate.Handler does,
// from the service the binding's connection setting names.
type minter struct {
	app     *App
	hub     string
	setting string
	opts    negotiate.HandlerOptions

	mu      sync.Mutex
	key     string // the settings the client was built from
	client  *signalr.Client
	handler http.Handler
}

// newMinter checks opts as negotiate.Handler will, so a mistake is an error at registration.
func newMinter(a *App, hub string, o *NegotiateOptions) (*minter, error) {
	switch {
	case o.UserID != "" || o.IDToken != "" || len(o.ClaimTypeList) > 0:
		return nil, errors.New("NegotiateOptions.Mint replaces the signalRConnectionInfo binding, so UserID, IDToken and ClaimTypeList (binding expressions) do not apply; set Mint.UserID and Mint.Claims instead")
	case len(o.Mint.AllowedOrigins) > 0:
		return nil, errors.New("NegotiateOptions.Mint.AllowedOrigins does not apply: the Functions host answers CORS for HTTP functions; allow origins in the function app's CORS settings")
	case strings.ContainsAny(hub, "%{"):
		return nil, fmt.Errorf("hub %q comes from an app setting or a binding expression, which only the signalRConnectionInfo binding resolves; name the hub with NegotiateOptions.Mint", hub)
	}
	// negotiate.Handler checks the hub and the options; a placeholder client stands in for
	// the service, which the settings name only when the function runs.
	probe, err := signalr.NewClientFromConnectionString("Endpoint=http://localhost;AccessKey=placeholder;Version=1.0;", nil)
	if err != nil {
		return nil, err
	}
	defer probe.Close()
	n, err := negotiate.New(probe, nil)
	if err != nil {
		return nil, err
	}
	if _, err := negotiate.Handler(n, hub, o.Mint); err != nil {
		return nil, err
	}
	setting := o.ConnectionStringSetting
	if setting == "" {
		setting = signalr.DefaultConnectionSetting
	}
	return &minter{app: a, hub: hub, setting: setting, opts: *o.Mint}, nil
}

// negotiateHandler returns the negotiate.Handler for the current settings, building a new
// client when they changed (an emulator started after the host, a rotated key).
func (m *minter) negotiateHandler(settings map[string]string) (http.Handler, error) {
	key := m.settingsKey(settings)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handler != nil && m.key == key {
		return m.handler, nil
	}
	c, err := service.NewClientFromSettings(m.setting, settings, nil)
	if err != nil {
		return nil, fmt.Errorf("bindings: app setting %q: %w", m.setting, err)
	}
	client := c.(*signalr.Client)
	n, err := negotiate.New(client, nil)
	if err == nil {
		m.handler, err = negotiate.Handler(n, m.hub, &m.opts)
	}
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	if m.client != nil {
		_ = m.client.Close() // its health checks, when several endpoints ran them
	}
	m.client, m.key = client, key
	return m.handler, nil
}

// settingsKey identifies the settings a client is built from: the connection setting, its
// identity-based keys and the named endpoints.
func (m *minter) settingsKey(settings map[string]string) string {
	var names []string
	prefix := strings.ToLower(m.setting)
	for k := range settings {
		lk := strings.ToLower(k)
		if lk == prefix || strings.HasPrefix(lk, prefix+"__") || strings.HasPrefix(lk, prefix+":") || service.IsEndpointSetting(k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(settings[k])
		b.WriteByte(0)
	}
	return b.String()
}

// serve answers the invocation as negotiate.Handler answers the caller's request.
func (m *minter) serve(ctx context.Context, inv *Invocation) error {
	req, err := inv.HTTPRequest()
	if err != nil {
		return err
	}
	r, err := req.ToHTTPRequest(ctx)
	if err != nil {
		return err
	}
	h, err := m.negotiateHandler(m.app.appSettings(m.setting))
	if err != nil {
		return err
	}
	w := &recorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	// negotiate sets the Content-Type (JSON) itself, which Respond keeps for a []byte body.
	return inv.Respond(w.status, w.header, w.body.Bytes())
}

// recorder is the http.ResponseWriter negotiate.Handler writes to; its answer becomes the
// function's http output.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
