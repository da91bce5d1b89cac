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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

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

// multiNegotiator builds a Negotiator over a client of named endpoints; each name's status
// makes its health checks fail when non-zero. The client's background checks never run: the
// tests check health when they choose, with Health.
func multiNegotiator(t *testing.T, router signalr.Router, names ...string) (*Negotiator, *signalr.Client, map[string]*atomic.Int32, map[string]string) {
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
	mc, err := signalr.NewClientWithEndpoints(endpoints, &signalr.ClientOptions{
		HealthCheck: signalr.HealthCheckOptions{Retries: -1, Interval: time.Hour},
		Router:      router,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	n := mustNew(t, mc, nil)
	n.now = func() time.Time { return testNow }
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
	_, err := mc.Health(ctx, nil)
	require.Error(t, err)
	assert.Equal(t, map[string]int{"west": 100}, chosen())

	statuses["west"].Store(http.StatusServiceUnavailable)
	_, err = mc.Health(ctx, nil)
	require.Error(t, err)
	assert.Equal(t, map[string]int{"spare": 100}, chosen())

	statuses["spare"].Store(http.StatusBadGateway)
	_, err = mc.Health(ctx, nil)
	require.Error(t, err)
	_, err = n.Negotiate(ctx, "chat", nil)
	require.ErrorIs(t, err, signalr.ErrNoEndpointOnline)
	rec := serve(mustHandler(t, n, "chat", nil), http.MethodPost, nil)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "no Azure SignalR Service endpoint is online")
}

// regionRouter sends requests with X-Region to the endpoint of that name.
type regionRouter struct{ sawRequest atomic.Bool }

func (r *regionRouter) Route(ctx context.Context, hub string, endpoints []signalr.EndpointRef) (signalr.EndpointRef, error) {
	req, ok := RequestFromContext(ctx)
	if !ok {
		return endpoints[0], nil
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
	n, _, _, urls := multiNegotiator(t, router, "east", "west")
	h := mustHandler(t, n, "chat", nil)
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
	_, err := mc.Health(ctx, nil)
	require.Error(t, err)

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

	refs := mc.Endpoints()
	require.Len(t, refs, 2)
	assert.False(t, refs[1].Online)
}

// A Negotiator of a one-endpoint Client reports it as one unnamed, online primary endpoint.
func TestSingleClientNegotiateAll(t *testing.T) {
	n := newTestNegotiator(t, "Endpoint=https://x.service.signalr.net;Port=8443;AccessKey="+testKey, nil)
	neg, err := n.NegotiateAll(context.Background(), "chat", nil)
	require.NoError(t, err)
	require.Len(t, neg.Endpoints, 1)
	assert.Equal(t, signalr.EndpointRef{EndpointType: signalr.EndpointTypePrimary, Endpoint: "https://x.service.signalr.net:8443", Online: true}, neg.Endpoints[0].EndpointRef)
	assert.Equal(t, "https://x.service.signalr.net:8443/client/?hub=chat", neg.Endpoints[0].ConnectionInfo.URL)

	var empty *Negotiator
	_, err = empty.NegotiateAll(context.Background(), "chat", nil)
	require.ErrorContains(t, err, "no service client")
}

// A bad hub or option fails once, before any endpoint; a failure on one endpoint fails
// NegotiateAll, naming the endpoint.
func TestNegotiateAllErrors(t *testing.T) {
	n, _, _, _ := multiNegotiator(t, nil, "east", "west")
	for _, call := range []func() error{
		func() error { _, err := n.NegotiateAll(context.Background(), "1-bad-hub", nil); return err },
		func() error { _, err := n.Negotiate(context.Background(), "1-bad-hub", nil); return err },
	} {
		err := call()
		require.ErrorContains(t, err, `negotiate: signalr: hub name "1-bad-hub" is invalid`)
		assert.NotContains(t, err.Error(), "endpoint")
	}
	_, err := n.NegotiateAll(context.Background(), "chat", &Options{Lifetime: time.Second})
	require.ErrorContains(t, err, "token lifetime 1s is out of range")

	// An Entra endpoint without a signing key, asked for a role :generateToken cannot carry.
	f := newFakeService(t)
	f.setKeyStatus(http.StatusForbidden)
	entra, err := signalr.NewClient(f.srv.URL, fakeCredential{}, &signalr.ClientOptions{ClientOptions: azcore.ClientOptions{
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{MaxRetries: -1},
	}})
	require.NoError(t, err)
	keyed, err := signalr.NewClientFromConnectionString("Endpoint=https://k.service.signalr.net;AccessKey="+testKey, nil)
	require.NoError(t, err)
	mixed, err := signalr.NewClientWithEndpoints([]signalr.Endpoint{{Name: "keyed", Client: keyed}, {Name: "entra", Client: entra}}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = mixed.Close() })
	_, err = mustNew(t, mixed, nil).NegotiateAll(context.Background(), "chat", &Options{Roles: []string{"admin"}})
	require.ErrorContains(t, err, `endpoint "entra" (`+f.srv.URL+`)`)
	assert.NotContains(t, err.Error(), `endpoint "keyed"`)
	var ke *KeyError
	require.ErrorAs(t, err, &ke)
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
