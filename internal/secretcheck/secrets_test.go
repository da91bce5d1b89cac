// Package secretcheck proves that no secret-bearing type of the module prints its secret: every
// value is formatted with every verb, by value and by pointer, and logged through slog's JSON
// and text handlers, and the output must never contain the secret.
package secretcheck

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
	"github.com/funcsignalr/funcsignalr/trigger"
	"net/http/httptest"
)

// The secrets: each is a distinctive string that cannot appear by accident.
const (
	accessKey    = "AKsecret0123456789abcdefghijklmnopqrstuvwxyz"
	secondaryKey = "AK2secret0123456789abcdefghijklmnopqrstuvwx"
	clientSecret = "CSsecret-Entra-client-secret-value"
	tempKey      = "TKsecret-temporary-access-key-value"
	bearer       = "eyJhbGciOiJIUzI1NiJ9.BTsecretpayload.BTsecretsignature"
	functionKey  = "FKsecret-function-key"
	endpointHost = "demo.service.signalr.net"
)

var secrets = []string{accessKey, secondaryKey, clientSecret, tempKey, bearer, functionKey,
	// Parts a formatter might print on their own.
	"BTsecretpayload", "BTsecretsignature", "AKsecret", "AK2secret", "CSsecret", "TKsecret", "FKsecret"}

// verbs are the ways fmt prints a value; %d and %x reach fields a Stringer alone does not cover.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%10.3v"}

// subject is one value to print. pointerOnly marks types that hold a lock: copying them is a
// vet error, so they are only ever printed by pointer.
type subject struct {
	name        string
	ptr         any    // a pointer to the value
	pointerOnly bool   // never printed by value
	useful      string // appears in the output: what a reader needs to recognise the value
}

func subjects(t *testing.T) []subject {
	t.Helper()
	cs, err := signalr.ParseConnectionString("Endpoint=https://" + endpointHost + ";AccessKey=" + accessKey + ";Version=1.0;")
	require.NoError(t, err)
	csEntra, err := signalr.ParseConnectionString("Endpoint=https://" + endpointHost + ";AuthType=azure.app;ClientId=cid;TenantId=tid;ClientSecret=" + clientSecret + ";")
	require.NoError(t, err)

	client, err := signalr.NewClientFromConnectionString("Endpoint=https://"+endpointHost+";AccessKey="+accessKey+";Version=1.0;", nil)
	require.NoError(t, err)
	entraClient, err := signalr.NewClientFromConnectionString("Endpoint=https://"+endpointHost+";AuthType=azure.app;ClientId=cid;TenantId=tid;ClientSecret="+clientSecret+";", nil)
	require.NoError(t, err)
	hub, err := client.Hub("chat")
	require.NoError(t, err)
	entraHub, err := entraClient.Hub("chat")
	require.NoError(t, err)
	endpoint := signalr.Endpoint{Name: "east", Type: signalr.EndpointTypePrimary, Client: client}
	multi, err := signalr.NewClientWithEndpoints([]signalr.Endpoint{endpoint, {Name: "west", Client: entraClient}}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = multi.Close() })
	multiHub, err := multi.Hub("chat")
	require.NoError(t, err)
	gen := signalr.GenerateClientTokenResponse{Token: bearer}

	negotiator, err := negotiate.New(client, nil)
	require.NoError(t, err)
	info := negotiate.ConnectionInfo{URL: "https://" + endpointHost + "/client/?hub=chat", AccessToken: bearer}
	ref := signalr.EndpointRef{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://" + endpointHost, Online: true}
	eci := negotiate.EndpointConnectionInfo{EndpointRef: ref, ConnectionInfo: info}
	negotiation := negotiate.Negotiation{Endpoints: []negotiate.EndpointConnectionInfo{eci}}

	routerOpts := trigger.RouterOptions{ParseOptions: trigger.ParseOptions{Client: client, AccessKeys: []string{secondaryKey}, MaxBodySize: 4096}}
	parseOpts := trigger.ParseOptions{AccessKeys: []string{accessKey, secondaryKey}}
	router, err := trigger.NewRouter(&routerOpts)
	require.NoError(t, err)
	key := signalr.NewAccessKeyCredential(accessKey)

	emuOpts := signalrtest.Options{AccessKey: accessKey, SecondaryAccessKey: secondaryKey}
	emu := signalrtest.NewServer(&emuOpts)
	t.Cleanup(emu.Close)

	hostOpts := bindingstest.Options{
		SignalRConnectionString: cs.String() + "AccessKey=" + accessKey,
		Settings:                map[string]string{"AzureSignalRConnectionString": "Endpoint=https://" + endpointHost + ";AccessKey=" + accessKey + ";"},
	}
	httpReq := &bindings.HTTPRequest{
		URL:     "https://app.example/api/negotiate?code=" + functionKey,
		Method:  http.MethodPost,
		Headers: map[string][]string{"Authorization": {"Bearer " + bearer}, "X-Functions-Key": {functionKey}},
		Body:    []byte(`{"token":"` + bearer + `"}`),
	}
	invocation := negotiateInvocation(t)

	return []subject{
		{name: "signalr.ConnectionString", ptr: cs, useful: endpointHost},
		{name: "signalr.ConnectionString (Entra)", ptr: csEntra, useful: endpointHost},
		{name: "signalr.Client", ptr: client, pointerOnly: true, useful: endpointHost},
		{name: "signalr.Client (Entra)", ptr: entraClient, pointerOnly: true, useful: endpointHost},
		{name: "signalr.Client (several endpoints)", ptr: multi, pointerOnly: true, useful: endpointHost},
		{name: "signalr.HubClient", ptr: hub, useful: "chat"},
		{name: "signalr.HubClient (Entra)", ptr: entraHub, useful: "chat"},
		{name: "signalr.HubClient (several endpoints)", ptr: multiHub, useful: "chat"},
		{name: "signalr.AccessKeyCredential", ptr: key, pointerOnly: true, useful: "AccessKeyCredential"},
		{name: "signalr.GenerateClientTokenResponse", ptr: &gen, useful: "GenerateClientTokenResponse"},
		{name: "signalr.Endpoint", ptr: &endpoint, useful: endpointHost},
		{name: "negotiate.Negotiator", ptr: negotiator, pointerOnly: true, useful: endpointHost},
		{name: "negotiate.ConnectionInfo", ptr: &info, useful: endpointHost},
		{name: "negotiate.EndpointConnectionInfo", ptr: &eci, useful: endpointHost},
		{name: "negotiate.Negotiation", ptr: &negotiation, useful: "east"},
		{name: "trigger.RouterOptions", ptr: &routerOpts, useful: "4096"},
		{name: "trigger.ParseOptions", ptr: &parseOpts, useful: "ParseOptions"},
		{name: "trigger.Router", ptr: router, pointerOnly: true, useful: "Router"},
		{name: "signalrtest.Options", ptr: &emuOpts, useful: "Options"},
		{name: "signalrtest.Server", ptr: emu, pointerOnly: true, useful: emu.URL},
		{name: "bindingstest.Options", ptr: &hostOpts, useful: "AzureSignalRConnectionString"},
		{name: "bindings.HTTPRequest", ptr: httpReq, useful: "app.example"},
		{name: "bindings.Invocation", ptr: invocation, useful: "connectionInfo"},
	}
}

// negotiateInvocation returns the *bindings.Invocation of a negotiate function once it has run:
// its request holds connection info with a token, its response the token as the HTTP body and
// as the return value.
func negotiateInvocation(t *testing.T) *bindings.Invocation {
	t.Helper()
	var captured *bindings.Invocation
	app := bindings.NewApp(&bindings.AppOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, app.HTTP("negotiate", nil, func(_ context.Context, inv *bindings.Invocation) error {
		captured = inv
		info, err := inv.ConnectionInfo()
		if err != nil {
			return err
		}
		inv.Log("minted for %s", info.URL)
		inv.Return(map[string]string{"token": bearer})
		return inv.Respond(http.StatusOK, nil, info)
	}, bindings.SignalRConnectionInfo("connectionInfo", "chat", nil)))
	payload := `{"Data":{"req":{"Method":"POST","Url":"https://app.example/api/negotiate?code=` + functionKey + `","Headers":{"Authorization":["Bearer ` + bearer + `"]}},` +
		`"connectionInfo":{"url":"https://` + endpointHost + `/client/?hub=chat","accessToken":"` + bearer + `"}},"Metadata":{}}`
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/negotiate", strings.NewReader(payload)))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), bearer, "the response does carry the token")
	require.NotNil(t, captured)
	return captured
}

// renderings returns every way the value behind ptr is printed, keyed by a description.
func renderings(s subject) map[string]string {
	out := map[string]string{}
	forms := map[string]any{"pointer": s.ptr}
	if !s.pointerOnly {
		// reflect copies the value without a vet complaint; the types above hold no lock.
		forms["value"] = reflect.ValueOf(s.ptr).Elem().Interface()
	}
	for form, v := range forms {
		for _, verb := range verbs {
			out[form+" "+verb] = fmt.Sprintf(verb, v)
		}
		out[form+" Sprint"] = fmt.Sprint(v)
		out[form+" Sprintln"] = fmt.Sprintln(v)
		for _, h := range []struct {
			name string
			new  func(*bytes.Buffer) slog.Handler
		}{
			{"slog JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
			{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		} {
			var buf bytes.Buffer
			logger := slog.New(h.new(&buf))
			logger.Info("value", "v", v)
			logger.LogAttrs(context.Background(), slog.LevelInfo, "attr", slog.Any("v", v))
			logger.Info("group", slog.Group("g", "v", v))
			out[form+" "+h.name] = buf.String()
		}
	}
	return out
}

func TestSecretsNeverPrint(t *testing.T) {
	for _, s := range subjects(t) {
		t.Run(s.name, func(t *testing.T) {
			for how, text := range renderings(s) {
				for _, secret := range secrets {
					assert.NotContains(t, text, secret, "%s printed with %s leaks a secret", s.name, how)
				}
				if strings.HasPrefix(how, "pointer") || !s.pointerOnly {
					assert.Contains(t, text, s.useful, "%s printed with %s should still say what it is", s.name, how)
				}
			}
		})
	}
}
