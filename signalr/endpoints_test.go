package signalr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/service"
)

func ref(name string, typ EndpointType, online bool) EndpointRef {
	return EndpointRef{Name: name, EndpointType: typ, Endpoint: "https://" + name + ".service.signalr.net", Online: online}
}

// The default routing is the service SDK's (DefaultEndpointRouterBase in
// Azure/azure-signalr src/Microsoft.Azure.SignalR.Common/Endpoints): random among online
// primaries, else online secondaries; with nothing online it fails.
func TestDefaultRoute(t *testing.T) {
	const P, S = EndpointTypePrimary, EndpointTypeSecondary
	tests := []struct {
		name      string
		endpoints []EndpointRef
		want      []string // the names it may choose; every one must be chosen
	}{
		{"one primary", []EndpointRef{ref("a", P, true)}, []string{"a"}},
		{"random among online primaries", []EndpointRef{ref("a", P, true), ref("b", P, true), ref("s", S, true)}, []string{"a", "b"}},
		{"offline primaries are skipped", []EndpointRef{ref("a", P, false), ref("b", P, true), ref("s", S, true)}, []string{"b"}},
		{"secondaries when no primary is online", []EndpointRef{ref("a", P, false), ref("s", S, true), ref("t", S, true)}, []string{"s", "t"}},
		{"only secondaries", []EndpointRef{ref("s", S, true)}, []string{"s"}},
		{"nothing online", []EndpointRef{ref("a", P, false), ref("s", S, false)}, nil},
		{"no endpoints", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]int{}
			for range 200 {
				got, err := defaultRoute(tt.endpoints)
				if tt.want == nil {
					require.ErrorIs(t, err, ErrNoEndpointOnline)
					return
				}
				require.NoError(t, err)
				seen[got.Name]++
			}
			assert.Len(t, seen, len(tt.want))
			for _, w := range tt.want {
				assert.Positive(t, seen[w], "%s never chosen in 200 tries", w)
			}
		})
	}
}

// routerFunc adapts a function to Router.
type routerFunc func(ctx context.Context, hub string, endpoints []EndpointRef) (EndpointRef, error)

func (f routerFunc) Route(ctx context.Context, hub string, endpoints []EndpointRef) (EndpointRef, error) {
	return f(ctx, hub, endpoints)
}

// ClientOptions.Router chooses among the endpoints with their health, sees the context and the
// hub, and what it answers must be one of the client's endpoints.
func TestRouteWithRouter(t *testing.T) {
	f := newFakeService(t, nil)
	one := newTestClient(t, f, nil)
	type key struct{}
	var sawHub string
	var sawCtx bool
	router := routerFunc(func(ctx context.Context, hub string, endpoints []EndpointRef) (EndpointRef, error) {
		sawHub, sawCtx = hub, ctx.Value(key{}) == "v"
		switch hub {
		case "fail":
			return EndpointRef{}, errors.New("no endpoint for this hub")
		case "mars":
			return EndpointRef{Name: "mars"}, nil
		case "byurl":
			return EndpointRef{Name: "west", Endpoint: f.URL + "/"}, nil
		}
		return endpoints[len(endpoints)-1], nil
	})
	c, err := NewClientWithEndpoints([]Endpoint{{Name: "east", Client: one}, {Name: "west", Client: one}}, &ClientOptions{Router: router})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	installFakeTicker(c)

	ctx := context.WithValue(context.Background(), key{}, "v")
	i, err := c.route(ctx, "chat")
	require.NoError(t, err)
	assert.Equal(t, 1, i)
	assert.Equal(t, "chat", sawHub)
	assert.True(t, sawCtx)
	i, err = c.route(ctx, "byurl")
	require.NoError(t, err)
	assert.Equal(t, 1, i)
	_, err = c.route(ctx, "fail")
	require.ErrorContains(t, err, "no endpoint for this hub")
	_, err = c.route(ctx, "mars")
	require.ErrorContains(t, err, `the router chose endpoint "mars"`)

	// The hook negotiate uses is the same routing.
	i, err = service.Route(ctx, c, "chat")
	require.NoError(t, err)
	assert.Equal(t, 1, i)

	// A lone endpoint is chosen without asking the router.
	lone, err := NewClientWithEndpoints([]Endpoint{{Name: "only", Client: one}}, &ClientOptions{Router: router})
	require.NoError(t, err)
	sawHub = ""
	i, err = lone.route(ctx, "fail")
	require.NoError(t, err)
	assert.Zero(t, i)
	assert.Empty(t, sawHub)
}

// With one endpoint an operation fails with the endpoint's own error, as a client of one
// service always has; with several, each failing endpoint is named. errors.As finds the
// *azcore.ResponseError either way.
func TestErrorShapeOfOneAndSeveralEndpoints(t *testing.T) {
	refuse := func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("x-ms-error-code", "Error.Auth.Denied")
		w.WriteHeader(http.StatusForbidden)
	}
	f := newFakeService(t, refuse)
	single := newTestClient(t, f, nil)
	multi, err := NewClientWithEndpoints([]Endpoint{{Name: "east", Client: single}, {Name: "west", Client: single}}, nil)
	require.NoError(t, err)
	narrowed := hubOf(t, multi, "chat").WithEndpoints("west")

	resp, err := hubOf(t, single, "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Same(t, re, err, "one endpoint: the *azcore.ResponseError itself")
	require.Len(t, resp.Endpoints, 1)
	var ee *EndpointError
	require.ErrorAs(t, resp.Endpoints[0].Err, &ee, "the per-endpoint result still names it")

	for name, h := range map[string]*HubClient{"every endpoint": hubOf(t, multi, "chat"), "narrowed to one": narrowed} {
		_, err := h.SendToAll(context.Background(), Message{Target: "t"}, nil)
		require.ErrorAs(t, err, &ee, name)
		require.ErrorAs(t, err, &re, name)
		assert.Equal(t, http.StatusForbidden, re.StatusCode, name)
	}
}

// A token is valid on one endpoint: GenerateClientToken needs exactly one selected.
func TestGenerateClientTokenNeedsOneEndpoint(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"token":"token-of-%s"}`, name)
	})
	h := f.hub(t)
	_, err := h.GenerateClientToken(context.Background(), nil)
	require.ErrorContains(t, err, "mints a token for one endpoint and 2 are selected; select one with HubClient.WithEndpoints")
	assert.Equal(t, map[string]int{"east": 0, "west": 0}, f.counts())

	resp, err := h.WithEndpoints("WEST").GenerateClientToken(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, "token-of-west", resp.Token)
	require.Len(t, resp.Endpoints, 1)
	assert.Equal(t, "west", resp.Endpoints[0].Endpoint.Name)
}

// A connection lives on one endpoint: InvokeConnection returns that endpoint's result, and the
// others' "no such connection" is expected; when no endpoint has it, the call fails.
func TestInvokeConnectionAcrossEndpoints(t *testing.T) {
	for _, holder := range []string{"west", ""} {
		t.Run("holder="+holder, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
				if name == holder {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, `{"result":"from `+name+`","protocol":"json"}`)
					return
				}
				w.Header().Set("x-ms-error-code", errorCodeConnectionNotExisted)
				w.WriteHeader(http.StatusNotFound)
			})
			resp, err := f.hub(t).InvokeConnection(context.Background(), "c1", Message{Target: "ask"}, nil)
			require.Len(t, resp.Endpoints, 2)
			if holder == "" {
				var re *azcore.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, http.StatusNotFound, re.StatusCode)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, `"from west"`, string(resp.Result))
			assert.Equal(t, "json", resp.Protocol)
			for _, r := range resp.Endpoints {
				assert.NoError(t, r.Err)
			}
		})
	}
}

// The pager lists every page of each endpoint in turn, names the endpoint of each page, and
// applies Top over all of them.
func TestListGroupConnectionsAcrossEndpoints(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("continuationToken") == "" {
			fmt.Fprintf(w, `{"value":[{"connectionId":"%s-1"},{"connectionId":"%s-2"}],"nextLink":"/api/hubs/chat/groups/g/connections?continuationToken=p2"}`, name, name)
			return
		}
		fmt.Fprintf(w, `{"value":[{"connectionId":"%s-3"}]}`, name)
	})
	list := func(opts *ListGroupConnectionsOptions) (ids, from []string) {
		pager := f.hub(t).NewListGroupConnectionsPager("g", opts)
		for pager.More() {
			page, err := pager.NextPage(context.Background())
			require.NoError(t, err)
			require.Len(t, page.Endpoints, 1)
			for _, m := range page.Value {
				ids = append(ids, m.ConnectionID)
				from = append(from, page.Endpoints[0].Endpoint.Name)
			}
		}
		return ids, from
	}
	ids, from := list(nil)
	assert.Equal(t, []string{"east-1", "east-2", "east-3", "west-1", "west-2", "west-3"}, ids)
	assert.Equal(t, []string{"east", "east", "east", "west", "west", "west"}, from)

	ids, _ = list(&ListGroupConnectionsOptions{Top: 4})
	assert.Equal(t, []string{"east-1", "east-2", "east-3", "west-1"}, ids)
	west := f.services["west"].requests()
	assert.Equal(t, "1", west[len(west)-1].Query.Get("top"), "the next endpoint is asked only for what is left")
}

// A one-endpoint client also checks the endpoints an output item names: the item's intent
// cannot be met, so nothing is sent.
func TestApplyChecksEndpointsOfOneEndpointClient(t *testing.T) {
	f := newFakeService(t, nil)
	h := hubOf(t, newTestClient(t, f, nil), "chat")
	err := h.Apply(context.Background(), Message{Target: "t", Endpoints: []EndpointRef{{Name: "east"}}})
	require.ErrorContains(t, err, `output item 0: signalr: endpoint "east" is not one of the client's endpoints`)
	assert.Empty(t, f.requests())
	// By URL, the endpoint matches.
	require.NoError(t, h.Apply(context.Background(), Message{Target: "t", Endpoints: []EndpointRef{{Endpoint: strings.ToUpper(f.URL)}}}))
	assert.Len(t, f.requests(), 1)
}

// A Client not built by a constructor fails loudly rather than send nothing and succeed.
func TestZeroClientFails(t *testing.T) {
	for name, c := range map[string]*Client{"nil": nil, "zero": {}} {
		_, err := c.Hub("chat")
		require.ErrorIs(t, err, errNoEndpoints, name)
		_, err = c.Health(context.Background(), nil)
		require.ErrorIs(t, err, errNoEndpoints, name)
		assert.Nil(t, c.Endpoints(), name)
		assert.NoError(t, c.Close(), name)
		_, err = NewClientWithEndpoints([]Endpoint{{Name: "a", Client: c}}, nil)
		require.Error(t, err, name)
	}
}
