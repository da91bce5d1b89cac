package bindingstest_test

import (
	"context"
	"encoding/json"
	"net/http"
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

// regionRouter picks the endpoint named by the caller's X-Region header, else the first online
// primary one.
type regionRouter struct{}

func (regionRouter) Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	if r, ok := negotiate.RequestFromContext(ctx); ok {
		for _, e := range endpoints {
			if strings.EqualFold(e.Name, r.Header.Get("X-Region")) {
				return e, nil
			}
		}
	}
	for _, e := range endpoints {
		if e.Online && e.EndpointType == signalr.EndpointTypePrimary {
			return e, nil
		}
	}
	return signalr.EndpointRef{}, signalr.ErrNoEndpointOnline
}

// endpointsApp returns each input as the HTTP response, and broadcasts through a signalR output.
func endpointsApp(t *testing.T) *bindings.App {
	t.Helper()
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	echo := func(name string) bindings.HandlerFunc {
		return func(ctx context.Context, inv *bindings.Invocation) error {
			var v json.RawMessage
			if err := inv.Input(name, &v); err != nil {
				return err
			}
			var s string
			if json.Unmarshal(v, &s) == nil { // a serialized string holds the JSON
				v = json.RawMessage(s)
			}
			return inv.Respond(http.StatusOK, nil, v)
		}
	}
	in := func(typ, name string) bindings.Binding {
		return bindings.GenericBinding(typ, bindings.DirectionIn, name, map[string]any{"hubName": "chat"})
	}
	require.NoError(t, app.HTTP("negotiate", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}, echo("connectionInfo"),
		in("signalRConnectionInfo", "connectionInfo")))
	require.NoError(t, app.HTTP("negotiation", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}, echo("negotiation"),
		in("signalRNegotiation", "negotiation")))
	require.NoError(t, app.HTTP("endpoints", &bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous}, echo("endpoints"),
		in("signalREndpoints", "endpoints")))
	require.NoError(t, app.HTTP("broadcast", &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: bindings.AuthLevelAnonymous},
		func(ctx context.Context, inv *bindings.Invocation) error {
			if err := inv.Send(signalr.Message{Target: "newMessage", Arguments: []any{"hi"}}); err != nil {
				return err
			}
			return inv.Respond(http.StatusAccepted, nil, nil)
		}, bindings.SignalROutput("signalRMessages", "chat", nil)))
	return app
}

func TestHostWithSeveralEndpoints(t *testing.T) {
	east := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(east.Close)
	west := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(west.Close)
	host, err := bindingstest.NewHost(endpointsApp(t), &bindingstest.Options{
		Logger: quiet,
		Router: regionRouter{},
		Settings: map[string]string{
			"Azure__SignalR__Endpoints__east":            east.ConnectionString(),
			"Azure__SignalR__Endpoints__west__secondary": west.ConnectionString(),
		},
	})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	get := func(path string, header map[string]string) []byte {
		req, err := http.NewRequest(http.MethodGet, host.URL+"/api/"+path, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body json.RawMessage
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		return body
	}

	t.Run("signalRConnectionInfo follows the router", func(t *testing.T) {
		for region, srv := range map[string]*signalrtest.Server{"east": east, "west": west} {
			var info negotiate.ConnectionInfo
			require.NoError(t, json.Unmarshal(get("negotiate", map[string]string{"X-Region": region}), &info))
			assert.Equal(t, srv.URL+"/client/?hub=chat", info.URL)
		}
		// Without a region the default routing prefers the online primary.
		var info negotiate.ConnectionInfo
		require.NoError(t, json.Unmarshal(get("negotiate", nil), &info))
		assert.Equal(t, east.URL+"/client/?hub=chat", info.URL)
	})

	t.Run("signalRNegotiation has every endpoint", func(t *testing.T) {
		var neg negotiate.Negotiation
		require.NoError(t, json.Unmarshal(get("negotiation", nil), &neg))
		require.Len(t, neg.Endpoints, 2)
		assert.Equal(t, "east", neg.Endpoints[0].Name)
		assert.Equal(t, signalr.EndpointTypePrimary, neg.Endpoints[0].EndpointType)
		assert.Equal(t, east.URL+"/client/?hub=chat", neg.Endpoints[0].ConnectionInfo.URL)
		assert.Equal(t, "west", neg.Endpoints[1].Name)
		assert.Equal(t, signalr.EndpointTypeSecondary, neg.Endpoints[1].EndpointType)
		assert.Equal(t, west.URL+"/client/?hub=chat", neg.Endpoints[1].ConnectionInfo.URL)
		assert.NotEmpty(t, neg.Endpoints[1].ConnectionInfo.AccessToken)
	})

	t.Run("signalREndpoints lists them", func(t *testing.T) {
		var eps []map[string]any
		require.NoError(t, json.Unmarshal(get("endpoints", nil), &eps))
		assert.Equal(t, []map[string]any{
			{"endpointType": "Primary", "name": "east", "endpoint": east.URL, "online": true},
			{"endpointType": "Secondary", "name": "west", "endpoint": west.URL, "online": true},
		}, eps)
	})

	t.Run("signalR output reaches every endpoint", func(t *testing.T) {
		resp, err := http.Post(host.URL+"/api/broadcast", "application/json", nil)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		for name, srv := range map[string]*signalrtest.Server{"east": east, "west": west} {
			sent := false
			for _, c := range srv.RESTCalls() {
				sent = sent || (c.Method == http.MethodPost && strings.HasSuffix(c.Path, "/api/hubs/chat/:send") && c.Status == http.StatusAccepted)
			}
			assert.True(t, sent, "%s got no broadcast", name)
		}
	})
}
