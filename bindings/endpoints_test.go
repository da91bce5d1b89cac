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
	"time"

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
		bindings.SignalRNegotiation("negotiation", "chat", &bindings.NegotiationOptions{
			UserID:                  "{headers.x-ms-client-principal-id}",
			IDToken:                 "{headers.x-ms-token-aad-id-token}",
			ClaimTypeList:           []string{"name", "email"},
			ConnectionStringSetting: "ChatConnection",
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
	require.NoError(t, app.WriteFunctionJSON(dir))
	for _, name := range []string{"host.json", "negotiate/function.json", "endpoints/function.json"} {
		want, err := os.ReadFile(filepath.Join(golden, name))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), name)
	}

	m, err := bindings.ReadManifest(golden)
	require.NoError(t, err)
	for _, f := range app.Functions() {
		got, ok := m.Function(f.Name)
		require.True(t, ok, f.Name)
		assert.Equal(t, f, got, "round trip of %s", f.Name)
	}
	neg, ok := m.Functions[1].Find(bindings.TypeSignalRNegotiation, bindings.DirectionIn)
	require.True(t, ok)
	assert.Equal(t, "ChatConnection", neg.Setting())
	eps, ok := m.Functions[0].Find(bindings.TypeSignalREndpoints, bindings.DirectionIn)
	require.True(t, ok)
	assert.Equal(t, bindings.DefaultConnectionStringSetting, eps.Setting())
}

func TestEndpointBindingDeclarations(t *testing.T) {
	assert.Equal(t, bindings.Binding{Type: "signalRNegotiation", Direction: bindings.DirectionIn, Name: "n", HubName: "chat"},
		bindings.SignalRNegotiation("n", "chat", nil))
	assert.Equal(t, bindings.Binding{Type: "signalREndpoints", Direction: bindings.DirectionIn, Name: "e", HubName: "chat", ConnectionStringSetting: "S"},
		bindings.SignalREndpoints("e", "chat", &bindings.EndpointsOptions{ConnectionStringSetting: "S"}))
}

func TestEndpointBindingValidation(t *testing.T) {
	httpIn := bindings.HTTPTrigger("req", nil)
	queue := bindings.GenericBinding("queueTrigger", bindings.DirectionIn, "msg", map[string]any{"queueName": "q"})
	tests := []struct {
		name     string
		bindings []bindings.Binding
		wantErr  string
	}{
		{name: "negotiation", bindings: []bindings.Binding{httpIn, bindings.SignalRNegotiation("n", "chat", &bindings.NegotiationOptions{UserID: "{query.user}"})}},
		{name: "endpoints", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "chat", nil)}},
		{name: "hub from a setting", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "%HubName%", nil)}},
		{name: "endpoints beside a queue trigger", bindings: []bindings.Binding{queue, bindings.SignalREndpoints("e", "chat", nil)}},
		{name: "negotiation without hub", bindings: []bindings.Binding{httpIn, bindings.SignalRNegotiation("n", "", nil)},
			wantErr: `signalRNegotiation "n" has no hubName`},
		{name: "endpoints with a bad hub", bindings: []bindings.Binding{httpIn, bindings.SignalREndpoints("e", "chat room", nil)},
			wantErr: `signalREndpoints "e"`},
		{name: "negotiation as output", bindings: []bindings.Binding{httpIn, {Type: "signalRNegotiation", Direction: bindings.DirectionOut, Name: "n", HubName: "chat"}},
			wantErr: `signalRNegotiation binding "n" must be an input`},
		{name: "endpoints as output, any case", bindings: []bindings.Binding{httpIn, {Type: "SignalREndpoints", Direction: bindings.DirectionOut, Name: "e", HubName: "chat"}},
			wantErr: `SignalREndpoints binding "e" must be an input`},
		{name: "endpoints with a user", bindings: []bindings.Binding{httpIn, {Type: "signalREndpoints", Direction: bindings.DirectionIn, Name: "e", HubName: "chat", UserID: "u"}},
			wantErr: `signalREndpoints binding "e" has userId`},
		{name: "negotiation reads a request that is not there", bindings: []bindings.Binding{queue, bindings.SignalRNegotiation("n", "chat", &bindings.NegotiationOptions{UserID: "{headers.x-user}"})},
			wantErr: `signalRNegotiation "n" reads the request`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bindings.Function{Name: "fn", Bindings: tt.bindings}.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

const (
	tokEast = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2Vhc3Quc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.ZWFzdA"
	tokWest = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL3dlc3Quc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.d2VzdA"
)

var goldenEndpoints = []signalr.EndpointRef{
	{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net", Online: true},
	{EndpointType: signalr.EndpointTypeSecondary, Name: "west", Endpoint: "https://west.service.signalr.net", Online: false},
}

func TestNegotiationGolden(t *testing.T) {
	req := loadPayload(t, "negotiation.json")
	neg, err := req.Negotiation("negotiation")
	require.NoError(t, err)
	assert.Equal(t, negotiate.Negotiation{Endpoints: []negotiate.EndpointConnectionInfo{
		{EndpointRef: goldenEndpoints[0], ConnectionInfo: negotiate.ConnectionInfo{URL: "https://east.service.signalr.net/client/?hub=chat", AccessToken: tokEast}},
		{EndpointRef: goldenEndpoints[1], ConnectionInfo: negotiate.ConnectionInfo{URL: "https://west.service.signalr.net/client/?hub=chat", AccessToken: tokWest}},
	}}, neg)

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

func TestEndpointsGolden(t *testing.T) {
	req := loadPayload(t, "endpoints.json")
	eps, err := req.Endpoints("endpoints")
	require.NoError(t, err)
	assert.Equal(t, goldenEndpoints, eps)

	w := invoke(t, endpointsApp(t), "endpoints", readTestdata(t, "endpoints.json"))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"Outputs":{
		"res":{"statusCode":200,"headers":{"Content-Type":"application/json"},
			"body":"[{\"endpointType\":\"Primary\",\"name\":\"east\",\"endpoint\":\"https://east.service.signalr.net\",\"online\":true},{\"endpointType\":\"Secondary\",\"name\":\"west\",\"endpoint\":\"https://west.service.signalr.net\"}]"},
		"signalRMessages":[{"target":"newMessage","arguments":["hi"],"endpoints":[{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net","online":true}]}]
	},"Logs":[],"ReturnValue":null}`, w.Body.String())
}

// encodings returns v in each form a host may deliver it: the plain JSON (an object or array),
// JSON text in a string (SerializeObject), and that string serialized again around indented
// JSON (signalRConnectionInfo's three layers).
func encodings(t *testing.T, v string) map[string]string {
	t.Helper()
	var indented strings.Builder
	var x any
	require.NoError(t, json.Unmarshal([]byte(v), &x))
	b, err := json.MarshalIndent(x, "", "  ")
	require.NoError(t, err)
	indented.Write(b)
	once, _ := json.Marshal(v)
	inner, _ := json.Marshal(indented.String())
	twice, _ := json.Marshal(string(inner))
	return map[string]string{"plain": v, "in a string": string(once), "three layers": string(twice)}
}

func TestNegotiationForms(t *testing.T) {
	valid := map[string]string{
		"camelCase": `{"endpoints":[{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net","online":true,
			"connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"` + tokEast + `","tokenLifetimeSeconds":600}}]}`,
		"PascalCase, numeric type": `{"Endpoints":[{"EndpointType":0,"Name":"east","Endpoint":"https://east.service.signalr.net","Online":true,
			"ConnectionInfo":{"Url":"https://east.service.signalr.net/client/?hub=chat","AccessToken":"` + tokEast + `","TokenLifetimeSeconds":600}}]}`,
		"defaults, lowercase type": `{"endpoints":[{"endpointType":"primary","name":"east","endpoint":"https://east.service.signalr.net",
			"connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"` + tokEast + `","tokenLifetimeSeconds":600}}]}`,
	}
	want := negotiate.Negotiation{Endpoints: []negotiate.EndpointConnectionInfo{{
		EndpointRef:    signalr.EndpointRef{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net", Online: true},
		ConnectionInfo: negotiate.ConnectionInfo{URL: "https://east.service.signalr.net/client/?hub=chat", AccessToken: tokEast, TokenLifetime: 10 * time.Minute},
	}}}
	for shape, v := range valid {
		for form, raw := range encodings(t, v) {
			t.Run(shape+"/"+form, func(t *testing.T) {
				req := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"n": json.RawMessage(raw)}}
				got, err := req.Negotiation("n")
				require.NoError(t, err)
				assert.Equal(t, want, got)
			})
		}
	}

	invalid := []struct {
		name, raw, wantErr string
	}{
		{"no endpoints", `{}`, "is not a negotiation"},
		{"null endpoints", `{"endpoints":null}`, "is not a negotiation"},
		{"an array", `[]`, `decoding input binding "n"`},
		{"null", `null`, "is not a negotiation"},
		{"no connection info", `{"endpoints":[{"endpoint":"https://e"}]}`, "endpoint 0 (https://e) has no connection info"},
		{"no token", `{"endpoints":[{"endpoint":"https://e","connectionInfo":{"url":"https://e/client/?hub=chat"}}]}`, "has no connection info"},
		{"no endpoint URL", `{"endpoints":[{"name":"x","connectionInfo":{"url":"u","accessToken":"` + tokEast + `"}}]}`, "endpoint 0 has no endpoint URL"},
		{"unknown type", `{"endpoints":[{"endpointType":"Tertiary","endpoint":"https://e","connectionInfo":{"url":"u","accessToken":"` + tokEast + `"}}]}`, `endpointType "Tertiary" is not Primary or Secondary`},
		{"type out of range", `{"endpoints":[{"endpointType":2,"endpoint":"https://e","connectionInfo":{"url":"u","accessToken":"` + tokEast + `"}}]}`, "endpointType is neither"},
		{"text that is not JSON", `"\"nope\""`, `decoding input binding "n"`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			req := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"n": json.RawMessage(tt.raw)}}
			_, err := req.Negotiation("n")
			require.ErrorContains(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "eyJ", "errors never show tokens")
		})
	}
	_, err := (&bindings.InvokeRequest{}).Negotiation("n")
	require.ErrorContains(t, err, `no input binding "n"`)
}

func TestEndpointsForms(t *testing.T) {
	valid := map[string]string{
		"camelCase":                `[{"endpointType":"Primary","name":"","endpoint":"https://a.service.signalr.net","online":true},{"endpointType":"Secondary","name":"b","endpoint":"https://b.service.signalr.net","online":false}]`,
		"PascalCase, numeric type": `[{"EndpointType":0,"Name":"","Endpoint":"https://a.service.signalr.net","Online":true},{"EndpointType":1,"Name":"b","Endpoint":"https://b.service.signalr.net","Online":false}]`,
		"defaults":                 `[{"endpoint":"https://a.service.signalr.net"},{"endpointType":"SECONDARY","name":"b","endpoint":"https://b.service.signalr.net","online":false}]`,
	}
	want := []signalr.EndpointRef{
		{EndpointType: signalr.EndpointTypePrimary, Endpoint: "https://a.service.signalr.net", Online: true},
		{EndpointType: signalr.EndpointTypeSecondary, Name: "b", Endpoint: "https://b.service.signalr.net"},
	}
	for shape, v := range valid {
		for form, raw := range encodings(t, v) {
			t.Run(shape+"/"+form, func(t *testing.T) {
				req := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(raw)}}
				got, err := req.Endpoints("e")
				require.NoError(t, err)
				assert.Equal(t, want, got)
			})
		}
	}
	empty := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(`"[]"`)}}
	got, err := empty.Endpoints("e")
	require.NoError(t, err)
	assert.Empty(t, got)

	invalid := []struct {
		name, raw, wantErr string
	}{
		{"null", `null`, "is not a list of endpoints"},
		{"null in a string", `"null"`, "is not a list of endpoints"},
		{"an object", `{"endpoint":"https://e"}`, `decoding input binding "e"`},
		{"no endpoint URL", `[{"name":"x"}]`, "endpoint 0 has no endpoint URL"},
		{"unknown type", `[{"endpointType":"Tertiary","endpoint":"https://e"}]`, `endpointType "Tertiary"`},
		{"type of the wrong kind", `[{"endpointType":true,"endpoint":"https://e"}]`, "endpointType is neither"},
		{"not an element object", `[1]`, `decoding input binding "e"`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			req := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(tt.raw)}}
			_, err := req.Endpoints("e")
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
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
	var neg, eps json.RawMessage
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.HTTP("raw", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		func(_ context.Context, inv *bindings.Invocation) error {
			neg, eps = inv.Request.Data["negotiation"], inv.Request.Data["endpoints"]
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

	require.NotEmpty(t, neg)
	assert.Equal(t, `{"endpoints":[{"endpointType":"Primary","name":"","endpoint":"`+srv.URL+`","online":true,"connectionInfo":{"url":"`+srv.URL+`/client/?hub=chat","accessToken":"`,
		string(neg[:strings.Index(string(neg), `"accessToken":"`)+len(`"accessToken":"`)]))
	assert.Equal(t, `"[{\"endpointType\":\"Primary\",\"name\":\"\",\"endpoint\":\"`+srv.URL+`\",\"online\":true}]"`, string(eps))
}

func FuzzNegotiationAndEndpoints(f *testing.F) {
	for _, name := range []string{"negotiation.json", "endpoints.json"} {
		req := loadPayload(f, name)
		for _, v := range req.Data {
			f.Add([]byte(v))
		}
	}
	f.Add([]byte(`{"endpoints":[{"endpointType":1,"endpoint":"e","connectionInfo":{"url":"u","accessToken":"t"}}]}`))
	f.Add([]byte(`"[{\"EndpointType\":\"secondary\",\"Endpoint\":\"e\"}]"`))
	f.Add([]byte(`"\"{\\n  \\\"endpoints\\\": []\\n}\""`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := &bindings.InvokeRequest{Data: map[string]json.RawMessage{"v": raw}}
		if neg, err := req.Negotiation("v"); err == nil {
			for _, e := range neg.Endpoints {
				if e.Endpoint == "" || e.ConnectionInfo.URL == "" || e.ConnectionInfo.AccessToken == "" {
					t.Fatalf("accepted an incomplete endpoint from %q", raw)
				}
			}
		}
		if eps, err := req.Endpoints("v"); err == nil {
			for _, e := range eps {
				if e.Endpoint == "" || (e.EndpointType != signalr.EndpointTypePrimary && e.EndpointType != signalr.EndpointTypeSecondary) {
					t.Fatalf("accepted an invalid endpoint %+v from %q", e, raw)
				}
			}
		}
	})
}

// BenchmarkDecodeNegotiation reads the signalRNegotiation golden payload; the floor is
// encoding/json into plain structs of the same shape, with no tolerance for other encodings.
func BenchmarkDecodeNegotiation(b *testing.B) {
	payload := readTestdata(b, "negotiation.json")
	b.Run("bindings", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			req, err := bindings.ParseInvokeRequest(payload)
			if err != nil {
				b.Fatal(err)
			}
			neg, err := req.Negotiation("negotiation")
			if err != nil || len(neg.Endpoints) != 2 {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var p struct {
				Data struct {
					Negotiation struct {
						Endpoints []struct {
							EndpointType   string `json:"endpointType"`
							Name           string `json:"name"`
							Endpoint       string `json:"endpoint"`
							Online         bool   `json:"online"`
							ConnectionInfo struct {
								URL         string `json:"url"`
								AccessToken string `json:"accessToken"`
							} `json:"connectionInfo"`
						} `json:"endpoints"`
					} `json:"negotiation"`
				} `json:"Data"`
				Metadata map[string]json.RawMessage `json:"Metadata"`
			}
			if err := json.Unmarshal(payload, &p); err != nil || len(p.Data.Negotiation.Endpoints) != 2 {
				b.Fatal(err)
			}
		}
	})
}
