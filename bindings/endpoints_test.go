package bindings_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// endpointsApp declares the functions of the golden files in testdata/endpoints: a negotiate
// that picks the caller's region among every endpoint's connection info, and a broadcast that
// reaches only the online endpoints.
func endpointsApp(t testing.TB) *bindings.App {
	t.Helper()
	app := bindings.NewApp(&bindings.AppOptions{ExecutablePath: "chat", Logger: quiet})
	require.NoError(t, app.HTTP("negotiate", &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: bindings.AuthLevelAnonymous},
		negotiateByRegion,
		bindings.SignalRNegotiation("negotiation", "chat", &bindings.ConnectionInfoOptions{
			SignalROptions: bindings.SignalROptions{ConnectionStringSetting: "ChatConnection"},
			UserID:         "{headers.x-ms-client-principal-id}",
			IDToken:        "{headers.x-ms-token-aad-id-token}",
			ClaimTypeList:  []string{"name", "email"},
		})))
	require.NoError(t, app.HTTP("endpoints", &bindings.HTTPOptions{Methods: []string{"get"}, AuthLevel: bindings.AuthLevelAnonymous},
		broadcastToOnline,
		bindings.SignalREndpoints("endpoints", "chat", nil),
		bindings.SignalROutput("signalRMessages", "chat", nil)))
	return app
}

// negotiateByRegion answers the connection info of the endpoint named by X-Region, else of the
// first online one.
func negotiateByRegion(_ context.Context, inv *bindings.Invocation) error {
	neg, err := inv.Negotiation()
	if err != nil {
		return err
	}
	req, err := inv.HTTPRequest()
	if err != nil {
		return err
	}
	var chosen *negotiate.EndpointConnectionInfo
	for i, e := range neg.Endpoints {
		if strings.EqualFold(e.Name, req.Header("X-Region")) {
			chosen = &neg.Endpoints[i]
			break
		}
		if chosen == nil && e.Online {
			chosen = &neg.Endpoints[i]
		}
	}
	if chosen == nil {
		return inv.Respond(http.StatusServiceUnavailable, nil, map[string]string{"error": "no endpoint is online"})
	}
	return inv.Respond(http.StatusOK, nil, chosen.ConnectionInfo)
}

// broadcastToOnline sends one message narrowed to the online endpoints and lists them all.
func broadcastToOnline(_ context.Context, inv *bindings.Invocation) error {
	eps, err := inv.Endpoints()
	if err != nil {
		return err
	}
	var online []signalr.EndpointRef
	for _, e := range eps {
		if e.Online {
			online = append(online, e)
		}
	}
	if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{"hi"}, Endpoints: online}); err != nil {
		return err
	}
	return inv.Respond(http.StatusOK, nil, eps)
}

func TestEndpointsFunctionJSONGolden(t *testing.T) {
	app := endpointsApp(t)
	golden := filepath.Join("testdata", "endpoints")
	require.NoError(t, app.CheckFunctionJSON(golden))

	dir := t.TempDir()
	require.NoError(t, app.Run([]string{"functionjson", dir}))
	for _, name := range []string{"host.json", "negotiate/function.json", "endpoints/function.json"} {
		want, err := os.ReadFile(filepath.Join(golden, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), name)
	}
}

func TestEndpointBindingValidation(t *testing.T) {
	httpIn := bindings.HTTPTrigger("req", nil)
	queue := bindings.GenericBinding("queueTrigger", bindings.DirectionIn, "msg", map[string]any{"queueName": "q"})
	tests := []struct {
		name     string
		bindings []bindings.Binding
		wantErr  string
	}{
		{name: "negotiation", bindings: []bindings.Binding{httpIn, bindings.SignalRNegotiation("n", "chat", &bindings.ConnectionInfoOptions{UserID: "{query.user}"})}},
		{name: "endpoints", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "chat", nil)}},
		{name: "hub from a setting", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "%HubName%", nil)}},
		{name: "endpoints beside a queue trigger", bindings: []bindings.Binding{queue, bindings.SignalREndpoints("e", "chat", nil)}},
		{name: "negotiation without hub", bindings: []bindings.Binding{httpIn, bindings.SignalRNegotiation("n", "", nil)},
			wantErr: `signalRNegotiation "n" has no hubName`},
		{name: "endpoints with a bad hub", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "chat room", nil)},
			wantErr: `signalREndpoints "e"`},
		{name: "negotiation as output", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("signalRNegotiation", bindings.DirectionOut, "n", map[string]any{"hubName": "chat"})},
			wantErr: `signalRNegotiation binding "n" must be an input`},
		{name: "endpoints as output, any case", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("SignalREndpoints", bindings.DirectionOut, "e", map[string]any{"hubName": "chat"})},
			wantErr: `SignalREndpoints binding "e" must be an input`},
		{name: "endpoints with a user", bindings: []bindings.Binding{httpIn, bindings.GenericBinding("signalREndpoints", bindings.DirectionIn, "e", map[string]any{"hubName": "chat", "userId": "u"})},
			wantErr: `signalREndpoints binding "e" has userId`},
		{name: "negotiation reads a request that is not there", bindings: []bindings.Binding{queue, bindings.SignalRNegotiation("n", "chat", &bindings.ConnectionInfoOptions{UserID: "{headers.x-user}"})},
			wantErr: `signalRNegotiation "n" reads the request`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bindings.NewApp(nil).Func("fn", noop, tt.bindings...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

const (
	tokEast = bindings.TokEast
	tokWest = bindings.TokWest
)

var goldenEndpoints = bindings.GoldenEndpoints

func TestNegotiationThroughTheApp(t *testing.T) {
	// Through the App: the function picks the region the caller asked for.
	w := invoke(t, endpointsApp(t), "negotiate", readTestdata(t, "negotiation.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp struct {
		Outputs struct {
			Res struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			} `json:"res"`
		}
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	assert.Equal(t, http.StatusOK, resp.Outputs.Res.StatusCode)
	assert.JSONEq(t, `{"url":"https://west.service.signalr.net/client/?hub=chat","accessToken":"`+tokWest+`"}`, resp.Outputs.Res.Body)
}

func TestEndpointsThroughTheApp(t *testing.T) {
	w := invoke(t, endpointsApp(t), "endpoints", readTestdata(t, "endpoints.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"Outputs":{
		"res":{"statusCode":200,"headers":{"Content-Type":"application/json"},
			"body":"[{\"endpointType\":\"Primary\",\"name\":\"east\",\"endpoint\":\"https://east.service.signalr.net\",\"online\":true},{\"endpointType\":\"Secondary\",\"name\":\"west\",\"endpoint\":\"https://west.service.signalr.net\"}]"},
		"signalRMessages":[{"target":"newMessage","arguments":["hi"],"endpoints":[{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net","online":true}]}]
	},"Logs":[],"ReturnValue":null}`, w.Body.String())
}

func TestInvocationEndpointAccessorsNeedTheBinding(t *testing.T) {
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	var negErr, epsErr error
	require.NoError(t, app.HTTP("plain", nil, func(_ context.Context, inv *bindings.Invocation) error {
		_, negErr = inv.Negotiation()
		_, epsErr = inv.Endpoints()
		return inv.Respond(http.StatusOK, nil, nil)
	}))
	w := invoke(t, app, "plain", readTestdata(t, "http_trigger.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.ErrorContains(t, negErr, `function "plain" has no signalRNegotiation binding`)
	require.ErrorContains(t, epsErr, `function "plain" has no signalREndpoints binding`)
}

// TestEndpointInputsThroughTheFakeHost runs the accessors on what bindingstest sends for two
// emulated endpoints, one of them offline.
func TestEndpointInputsThroughTheFakeHost(t *testing.T) {
	east := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(east.Close)
	west := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(west.Close)
	host, err := bindingstest.NewHost(endpointsApp(t), &bindingstest.Options{
		Logger: quiet,
		Settings: map[string]string{
			"ChatConnection":                             east.ConnectionString(),
			"AzureSignalRConnectionString":               east.ConnectionString(),
			"Azure__SignalR__Endpoints__west__secondary": west.ConnectionString(),
		},
	})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	// The id token is read without validation, as the extension does; only its claims matter.
	idToken := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"name":"Alice","email":"alice@example.com","role":"admin"}`)) + ".c2ln"
	call := func(method, path string, header map[string]string) (int, []byte) {
		req, err := http.NewRequestWithContext(t.Context(), method, host.URL+"/api/"+path, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body json.RawMessage
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}

	t.Run("negotiation", func(t *testing.T) {
		for region, srv := range map[string]*signalrtest.Server{"": east, "west": west} {
			status, body := call(http.MethodPost, "negotiate", map[string]string{"X-Region": region, "x-ms-client-principal-id": "alice",
				"x-ms-token-aad-id-token": idToken})
			require.Equal(t, http.StatusOK, status, "%s", body)
			var info negotiate.ConnectionInfo
			require.NoError(t, json.Unmarshal(body, &info))
			assert.Equal(t, srv.URL+"/client/?hub=chat", info.URL, "region %q", region)
			claims := tokenClaims(t, info.AccessToken)
			assert.Equal(t, "alice", claims["asrs.s.uid"])
			assert.Equal(t, "Alice", claims["name"])
			assert.Equal(t, "alice@example.com", claims["email"])
			assert.NotContains(t, claims, "role", "claimTypeList filters the id token's claims")
		}
	})

	t.Run("endpoints", func(t *testing.T) {
		status, body := call(http.MethodGet, "endpoints", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		var eps []signalr.EndpointRef
		require.NoError(t, json.Unmarshal(body, &eps))
		assert.Equal(t, []signalr.EndpointRef{
			{EndpointType: signalr.EndpointTypePrimary, Endpoint: east.URL, Online: true},
			{EndpointType: signalr.EndpointTypeSecondary, Name: "west", Endpoint: west.URL, Online: true},
		}, eps)
		for name, srv := range map[string]*signalrtest.Server{"east": east, "west": west} {
			sent := false
			for _, c := range srv.RESTCalls() {
				sent = sent || (c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/api/hubs/chat/:send") && c.Status == http.StatusAccepted)
			}
			assert.True(t, sent, "%s got no broadcast", name)
		}
	})
}

// tokenClaims reads the claims of a JWT without checking its signature.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

// TestFakeHostEncodesEndpointInputsAsTheHost pins the wire forms bindingstest sends: the
// negotiation as a compact object, the endpoints as compact JSON text in a string.
func TestFakeHostEncodesEndpointInputsAsTheHost(t *testing.T) {
	srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(srv.Close)
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.HTTP("raw", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		func(_ context.Context, inv *bindings.Invocation) error {
			return inv.Respond(http.StatusNoContent, nil, nil)
		},
		bindings.SignalRNegotiation("negotiation", "chat", nil),
		bindings.SignalREndpoints("endpoints", "chat", nil)))
	host, err := bindingstest.NewHost(app, &bindingstest.Options{Logger: quiet, SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	resp, err := http.Get(host.URL + "/api/raw")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	// The payload as the handler received it.
	invs := host.Invocations()
	require.Len(t, invs, 1)
	var payload struct{ Data map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(invs[0].Request, &payload))
	neg, eps := payload.Data["negotiation"], payload.Data["endpoints"]
	require.NotEmpty(t, neg)
	assert.Equal(t, `{"endpoints":[{"endpointType":"Primary","name":"","endpoint":"`+srv.URL+`","online":true,"connectionInfo":{"url":"`+srv.URL+`/client/?hub=chat","accessToken":"`,
		string(neg[:strings.Index(string(neg), `"accessToken":"`)+len(`"accessToken":"`)]))
	assert.Equal(t, `"[{\"endpointType\":\"Primary\",\"name\":\"\",\"endpoint\":\"`+srv.URL+`\",\"online\":true}]"`, string(eps))
}
