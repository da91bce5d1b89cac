package bindings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
)

func TestEndpointBindingDeclarations(t *testing.T) {
	assert.Equal(t, manifest.Binding{Type: "signalRNegotiation", Direction: manifest.DirectionIn, Name: "n", HubName: "chat"},
		SignalRNegotiation("n", "chat", nil).b)
	assert.Equal(t, manifest.Binding{Type: "signalREndpoints", Direction: manifest.DirectionIn, Name: "e", HubName: "chat", ConnectionStringSetting: "S"},
		SignalREndpoints("e", "chat", &SignalROptions{ConnectionStringSetting: "S"}).b)
}

// The tokens of testdata/negotiation.json, shared with the external tests.
const (
	TokEast = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2Vhc3Quc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.ZWFzdA"
	TokWest = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL3dlc3Quc2VydmljZS5zaWduYWxyLm5ldC9jbGllbnQvP2h1Yj1jaGF0In0.d2VzdA"
)

// GoldenEndpoints are the endpoints of testdata/endpoints.json; the external tests share them.
var GoldenEndpoints = []signalr.EndpointRef{
	{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net", Online: true},
	{EndpointType: signalr.EndpointTypeSecondary, Name: "west", Endpoint: "https://west.service.signalr.net", Online: false},
}

func TestNegotiationGolden(t *testing.T) {
	req := loadPayload(t, "negotiation.json")
	neg, err := req.negotiation("negotiation")
	require.NoError(t, err)
	assert.Equal(t, negotiate.Negotiation{Endpoints: []negotiate.EndpointConnectionInfo{
		{EndpointRef: GoldenEndpoints[0], ConnectionInfo: negotiate.ConnectionInfo{URL: "https://east.service.signalr.net/client/?hub=chat", AccessToken: TokEast}},
		{EndpointRef: GoldenEndpoints[1], ConnectionInfo: negotiate.ConnectionInfo{URL: "https://west.service.signalr.net/client/?hub=chat", AccessToken: TokWest}},
	}}, neg)

}

func TestEndpointsGolden(t *testing.T) {
	req := loadPayload(t, "endpoints.json")
	eps, err := req.endpoints("endpoints")
	require.NoError(t, err)
	assert.Equal(t, GoldenEndpoints, eps)

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
			"connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"` + TokEast + `","tokenLifetimeSeconds":600}}]}`,
		"PascalCase, numeric type": `{"Endpoints":[{"EndpointType":0,"Name":"east","Endpoint":"https://east.service.signalr.net","Online":true,
			"ConnectionInfo":{"Url":"https://east.service.signalr.net/client/?hub=chat","AccessToken":"` + TokEast + `","TokenLifetimeSeconds":600}}]}`,
		"defaults, lowercase type": `{"endpoints":[{"endpointType":"primary","name":"east","endpoint":"https://east.service.signalr.net",
			"connectionInfo":{"url":"https://east.service.signalr.net/client/?hub=chat","accessToken":"` + TokEast + `","tokenLifetimeSeconds":600}}]}`,
	}
	want := negotiate.Negotiation{Endpoints: []negotiate.EndpointConnectionInfo{{
		EndpointRef:    signalr.EndpointRef{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net", Online: true},
		ConnectionInfo: negotiate.ConnectionInfo{URL: "https://east.service.signalr.net/client/?hub=chat", AccessToken: TokEast, TokenLifetime: 10 * time.Minute},
	}}}
	for shape, v := range valid {
		for form, raw := range encodings(t, v) {
			t.Run(shape+"/"+form, func(t *testing.T) {
				req := &invokeRequest{Data: map[string]json.RawMessage{"n": json.RawMessage(raw)}}
				got, err := req.negotiation("n")
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
		{"no endpoint URL", `{"endpoints":[{"name":"x","connectionInfo":{"url":"u","accessToken":"` + TokEast + `"}}]}`, "endpoint 0 has no endpoint URL"},
		{"unknown type", `{"endpoints":[{"endpointType":"Tertiary","endpoint":"https://e","connectionInfo":{"url":"u","accessToken":"` + TokEast + `"}}]}`, `endpointType "Tertiary" is not Primary or Secondary`},
		{"type out of range", `{"endpoints":[{"endpointType":2,"endpoint":"https://e","connectionInfo":{"url":"u","accessToken":"` + TokEast + `"}}]}`, "endpointType is neither"},
		{"text that is not JSON", `"\"nope\""`, `decoding input binding "n"`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			req := &invokeRequest{Data: map[string]json.RawMessage{"n": json.RawMessage(tt.raw)}}
			_, err := req.negotiation("n")
			require.ErrorContains(t, err, tt.wantErr)
			assert.NotContains(t, err.Error(), "eyJ", "errors never show tokens")
		})
	}
	_, err := (&invokeRequest{}).negotiation("n")
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
				req := &invokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(raw)}}
				got, err := req.endpoints("e")
				require.NoError(t, err)
				assert.Equal(t, want, got)
			})
		}
	}
	empty := &invokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(`"[]"`)}}
	got, err := empty.endpoints("e")
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
			req := &invokeRequest{Data: map[string]json.RawMessage{"e": json.RawMessage(tt.raw)}}
			_, err := req.endpoints("e")
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
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
		req := &invokeRequest{Data: map[string]json.RawMessage{"v": raw}}
		if neg, err := req.negotiation("v"); err == nil {
			for _, e := range neg.Endpoints {
				if e.Endpoint == "" || e.ConnectionInfo.URL == "" || e.ConnectionInfo.AccessToken == "" {
					t.Fatalf("accepted an incomplete endpoint from %q", raw)
				}
			}
		}
		if eps, err := req.endpoints("v"); err == nil {
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
	payload := readBenchdata(b, "negotiation.json")
	b.Run("bindings", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			req, err := parseInvokeRequest(payload)
			if err != nil {
				b.Fatal(err)
			}
			neg, err := req.negotiation("negotiation")
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
