package negotiate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

func ref(name string, typ signalr.EndpointType, online bool) signalr.EndpointRef {
	return signalr.EndpointRef{Name: name, EndpointType: typ, Endpoint: "https://" + name + ".service.signalr.net", Online: online}
}

func TestDefaultRouter(t *testing.T) {
	const P, S = signalr.EndpointTypePrimary, signalr.EndpointTypeSecondary
	tests := []struct {
		name      string
		endpoints []signalr.EndpointRef
		want      []string // the names it may choose; every one must be chosen
	}{
		{"one primary", []signalr.EndpointRef{ref("a", P, true)}, []string{"a"}},
		{"random among online primaries", []signalr.EndpointRef{ref("a", P, true), ref("b", P, true), ref("s", S, true)}, []string{"a", "b"}},
		{"offline primaries are skipped", []signalr.EndpointRef{ref("a", P, false), ref("b", P, true), ref("s", S, true)}, []string{"b"}},
		{"secondaries when no primary is online", []signalr.EndpointRef{ref("a", P, false), ref("s", S, true), ref("t", S, true)}, []string{"s", "t"}},
		{"only secondaries", []signalr.EndpointRef{ref("s", S, true)}, []string{"s"}},
		{"nothing online", []signalr.EndpointRef{ref("a", P, false), ref("s", S, false)}, nil},
		{"no endpoints", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]int{}
			for range 200 {
				got, err := DefaultRouter{}.Route(context.Background(), "chat", tt.endpoints)
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

// healthServer answers health checks with the status in status (200 when zero).
func healthServer(t *testing.T, status *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// multiNegotiator builds a Negotiator over named endpoints; each name's status makes its health
// checks fail when non-zero.
func multiNegotiator(t *testing.T, opts *NegotiatorOptions, names ...string) (*Negotiator, *signalr.MultiEndpointClient, map[string]*atomic.Int32, map[string]string) {
	t.Helper()
	statuses, urls := map[string]*atomic.Int32{}, map[string]string{}
	var endpoints []signalr.Endpoint
	for _, name := range names {
		typ := signalr.EndpointTypePrimary
		if strings.HasPrefix(name, "s") {
			typ = signalr.EndpointTypeSecondary
		}
		statuses[name] = &atomic.Int32{}
		srv := healthServer(t, statuses[name])
		client, err := signalr.NewClientFromConnectionString("Endpoint="+srv.URL+";AccessKey="+testKey+name+";Version=1.0;", nil)
		require.NoError(t, err)
		urls[name] = srv.URL
		endpoints = append(endpoints, signalr.Endpoint{Name: name, Type: typ, Client: client})
	}
	mc, err := signalr.NewClientWithEndpoints(endpoints, &signalr.MultiEndpointClientOptions{
		HealthCheck: signalr.HealthCheckOptions{Retries: -1},
	})
	require.NoError(t, err)
	t.Cleanup(mc.Close)
	n := NewWithEndpoints(mc, opts)
	for _, sub := range n.multi.subs {
		sub.now = func() time.Time { return testNow }
	}
	return n, mc, statuses, urls
}

func TestNegotiateWithEndpointsFollowsHealth(t *testing.T) {
	ctx := context.Background()
	n, mc, statuses, urls := multiNegotiator(t, nil, "east", "west", "spare")
	chosen := func() map[string]int {
		out := map[string]int{}
		for range 100 {
			info, err := n.Negotiate(ctx, "chat", &Options{UserID: "u"})
			require.NoError(t, err)
			for name, u := range urls {
				if strings.HasPrefix(info.URL, u+"/client/?hub=chat") {
					out[name]++
					// The token is signed with that endpoint's key, for that endpoint.
					_, claims := parseToken(t, info.AccessToken, testKey+name, "http://127.0.0.1/client/?hub=chat")
					assert.Equal(t, "u", claims[ClaimUserID])
				}
			}
		}
		return out
	}
	got := chosen()
	assert.Positive(t, got["east"])
	assert.Positive(t, got["west"])
	assert.Zero(t, got["spare"], "a secondary is not chosen while a primary is online")

	statuses["east"].Store(http.StatusServiceUnavailable)
	require.Error(t, mc.CheckHealth(ctx))
	assert.Equal(t, map[string]int{"west": 100}, chosen())

	statuses["west"].Store(http.StatusServiceUnavailable)
	require.Error(t, mc.CheckHealth(ctx))
	assert.Equal(t, map[string]int{"spare": 100}, chosen())

	statuses["spare"].Store(http.StatusBadGateway)
	require.Error(t, mc.CheckHealth(ctx))
	_, err := n.Negotiate(ctx, "chat", nil)
	require.ErrorIs(t, err, ErrNoEndpointOnline)
	assert.Equal(t, http.StatusServiceUnavailable, serve(Handler(n, "chat", nil), http.MethodPost, nil).Code)
}

// regionRouter sends requests with X-Region to the endpoint of that name.
type regionRouter struct{ sawRequest atomic.Bool }

func (r *regionRouter) Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	req, ok := RequestFromContext(ctx)
	if !ok {
		return DefaultRouter{}.Route(ctx, hub, endpoints)
	}
	r.sawRequest.Store(true)
	region := req.Header.Get("X-Region")
	for _, e := range endpoints {
		if strings.EqualFold(e.Name, region) {
			return e, nil
		}
	}
	if region == "mars" {
		return signalr.EndpointRef{Name: "mars"}, nil
	}
	return signalr.EndpointRef{}, errors.New("no endpoint in region " + region)
}

func TestHandlerRoutesWithTheRequest(t *testing.T) {
	router := &regionRouter{}
	n, _, _, urls := multiNegotiator(t, &NegotiatorOptions{Router: router}, "east", "west")
	h := Handler(n, "chat", nil)
	for _, region := range []string{"east", "west", "WEST"} {
		rec := serve(h, http.MethodPost, map[string]string{"X-Region": region})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var info ConnectionInfo
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
		assert.True(t, strings.HasPrefix(info.URL, urls[strings.ToLower(region)]+"/"), "%s: %s", region, info.URL)
	}
	assert.True(t, router.sawRequest.Load())

	rec := serve(h, http.MethodPost, map[string]string{"X-Region": "moon"})
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), "no endpoint in region moon")

	// A router answering with an endpoint the client does not have is an error, not a panic.
	rec = serve(h, http.MethodPost, map[string]string{"X-Region": "mars"})
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, rec.Body.String(), `the router chose endpoint \"mars\"`)
}

func TestNegotiateAll(t *testing.T) {
	ctx := context.Background()
	n, mc, statuses, urls := multiNegotiator(t, nil, "east", "spare")
	statuses["spare"].Store(http.StatusServiceUnavailable)
	require.Error(t, mc.CheckHealth(ctx))

	neg, err := n.NegotiateAll(ctx, "chat", &Options{UserID: "u"})
	require.NoError(t, err)
	require.Len(t, neg.Endpoints, 2)
	for i, name := range []string{"east", "spare"} {
		e := neg.Endpoints[i]
		assert.Equal(t, name, e.Name)
		assert.Equal(t, urls[name], e.Endpoint)
		assert.Equal(t, urls[name]+"/client/?hub=chat", e.ConnectionInfo.URL)
		parseToken(t, e.ConnectionInfo.AccessToken, testKey+name, "http://127.0.0.1/client/?hub=chat")
	}

	raw, err := json.Marshal(neg)
	require.NoError(t, err)
	want := fmt.Sprintf(`{"endpoints":[`+
		`{"endpointType":"Primary","name":"east","endpoint":%q,"online":true,"connectionInfo":{"url":%q,"accessToken":%q}},`+
		`{"endpointType":"Secondary","name":"spare","endpoint":%q,"online":false,"connectionInfo":{"url":%q,"accessToken":%q}}]}`,
		urls["east"], urls["east"]+"/client/?hub=chat", neg.Endpoints[0].ConnectionInfo.AccessToken,
		urls["spare"], urls["spare"]+"/client/?hub=chat", neg.Endpoints[1].ConnectionInfo.AccessToken)
	assert.JSONEq(t, want, string(raw))
	assert.True(t, json.Valid(raw))

	s := neg.String() + fmt.Sprintf("%#v", neg)
	assert.NotContains(t, s, neg.Endpoints[0].ConnectionInfo.AccessToken)
	assert.Contains(t, s, "REDACTED")

	refs := n.Endpoints()
	require.Len(t, refs, 2)
	assert.False(t, refs[1].Online)
	b := AppendEndpointJSON(nil, refs[1])
	assert.JSONEq(t, fmt.Sprintf(`{"endpointType":"Secondary","name":"spare","endpoint":%q,"online":false}`, urls["spare"]), string(b))
}

// A Negotiator of one Client reports itself as one unnamed, online primary endpoint.
func TestSingleClientEndpointsAndNegotiateAll(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;Port=8443;AccessKey="+testKey, nil)
	assert.Equal(t, []signalr.EndpointRef{{EndpointType: signalr.EndpointTypePrimary, Endpoint: "https://x.service.signalr.net:8443", Online: true}}, n.Endpoints())
	neg, err := n.NegotiateAll(context.Background(), "chat", nil)
	require.NoError(t, err)
	require.Len(t, neg.Endpoints, 1)
	assert.Equal(t, "https://x.service.signalr.net:8443/client/?hub=chat", neg.Endpoints[0].ConnectionInfo.URL)

	var empty *Negotiator
	assert.Nil(t, empty.Endpoints())
	_, err = empty.NegotiateAll(context.Background(), "chat", nil)
	require.Error(t, err)
	_, err = NewWithEndpoints(nil, nil).Negotiate(context.Background(), "chat", nil)
	require.ErrorContains(t, err, "no service client")
}

// A failure on one endpoint fails NegotiateAll, naming the endpoint.
func TestNegotiateAllNamesFailingEndpoint(t *testing.T) {
	n, _, _, _ := multiNegotiator(t, nil, "east", "west")
	_, err := n.NegotiateAll(context.Background(), "1-bad-hub", nil)
	require.ErrorContains(t, err, `endpoint "east"`)
	require.ErrorContains(t, err, `endpoint "west"`)
}

func TestNegotiationJSONRoundTrip(t *testing.T) {
	n, _, _, _ := multiNegotiator(t, nil, "east", "spare")
	neg, err := n.NegotiateAll(context.Background(), "chat", nil)
	require.NoError(t, err)
	raw, err := json.Marshal(neg)
	require.NoError(t, err)
	var back Negotiation
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, neg, back)

	var bad Negotiation
	require.ErrorContains(t, json.Unmarshal([]byte(`{"endpoints":{}}`), &bad), "negotiation is not")
}

// FuzzNegotiationJSON: any input decodes or fails without a panic, and what decodes encodes to
// JSON that decodes to the same value.
func FuzzNegotiationJSON(f *testing.F) {
	f.Add(`{"endpoints":[{"endpointType":"Primary","name":"a","endpoint":"https://a","online":true,"connectionInfo":{"url":"https://a/client/?hub=h","accessToken":"t"}}]}`)
	f.Add(`{"endpoints":[{"connectionInfo":{"url":"u","accessToken":"t","tokenLifetimeSeconds":60}}]}`)
	f.Add(`{"endpoints":null}`)
	f.Add(`{"endpoints":[{"name":"\u00e9\ud800","online":false}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, data string) {
		var n Negotiation
		if err := json.Unmarshal([]byte(data), &n); err != nil {
			return
		}
		raw, err := json.Marshal(n)
		require.NoError(t, err)
		require.True(t, json.Valid(raw), "%s", raw)
		var back Negotiation
		require.NoError(t, json.Unmarshal(raw, &back))
		require.Equal(t, n, back)
	})
}
