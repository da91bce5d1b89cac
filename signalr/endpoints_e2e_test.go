package signalr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// switchableService is an emulated service behind a front that can take it down: while down,
// every request, health checks included, gets 503.
type switchableService struct {
	emu   *signalrtest.Server
	front *httptest.Server
	down  atomic.Bool
}

func newSwitchableService(t *testing.T) *switchableService {
	t.Helper()
	s := &switchableService{emu: signalrtest.NewUnstartedServer(nil)}
	t.Cleanup(s.emu.Close)
	s.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		s.emu.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(s.front.Close)
	return s
}

func (s *switchableService) connectionString() string {
	host := strings.TrimPrefix(s.front.URL, "http://")
	h, port, _ := strings.Cut(host, ":")
	return fmt.Sprintf("Endpoint=http://%s;Port=%s;AccessKey=%s;Version=1.0;", h, port, s.emu.AccessKeys()[0])
}

// multiEndpointApp is n emulated services, a Client over them and an app serving the
// negotiate handler at /api/negotiate.
type multiEndpointApp struct {
	services []*switchableService
	clients  []*signalr.Client
	multi    *signalr.Client
	app      *httptest.Server
	ticks    chan time.Time
	rounds   chan struct{}
}

func newMultiEndpointApp(t *testing.T, n int) *multiEndpointApp {
	t.Helper()
	a := &multiEndpointApp{ticks: make(chan time.Time), rounds: make(chan struct{}, 16)}
	var endpoints []signalr.Endpoint
	for i := range n {
		s := newSwitchableService(t)
		c, err := signalr.NewClientFromConnectionString(s.connectionString(), &signalr.ClientOptions{
			ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}},
		})
		require.NoError(t, err)
		a.services = append(a.services, s)
		a.clients = append(a.clients, c)
		endpoints = append(endpoints, signalr.Endpoint{Name: fmt.Sprintf("ep%d", i), Client: c})
	}
	multi, err := signalr.NewClientWithEndpoints(endpoints, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = multi.Close() })
	signalr.SetHealthClock(multi, func(d time.Duration) <-chan time.Time {
		if d == signalr.DefaultHealthCheckInterval {
			return a.ticks
		}
		ch := make(chan time.Time, 1) // retry delays pass at once
		ch <- time.Time{}
		return ch
	}, func() { a.rounds <- struct{}{} })
	a.multi = multi
	mux := http.NewServeMux()
	mux.Handle("/api/negotiate", handler(t, negotiator(t, multi), "chat", nil))
	a.app = httptest.NewServer(mux)
	t.Cleanup(a.app.Close)
	return a
}

// interval lets one health-check interval pass on the fake clock and waits for its round.
func (a *multiEndpointApp) interval(t *testing.T) {
	t.Helper()
	select {
	case a.ticks <- time.Time{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the health checker is not waiting for its interval")
	}
	<-a.rounds
}

// holder returns the index of the endpoint that has the connection.
func (a *multiEndpointApp) holder(t *testing.T, ctx context.Context, connectionID string) int {
	t.Helper()
	found := -1
	for i, c := range a.clients {
		ok, err := hubOf(t, c, "chat").ConnectionExists(ctx, connectionID, nil)
		require.NoError(t, err)
		if ok {
			require.Equal(t, -1, found, "the connection is on two endpoints")
			found = i
		}
	}
	require.NotEqual(t, -1, found, "no endpoint has the connection")
	return found
}

// The official JS client negotiates with our handler, which routes it to one of two or three
// emulated services; one broadcast through the multi-endpoint client reaches it exactly once.
func TestJSClientThroughMultiEndpointNegotiate(t *testing.T) {
	jsclient.Require(t)
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d endpoints", n), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			a := newMultiEndpointApp(t, n)
			var clients []*jsclient.Client
			used := map[int]bool{}
			for range 2 * n {
				c := jsclient.Start(t, jsclient.Config{URL: a.app.URL + "/api", Targets: []string{"newMessage"}})
				clients = append(clients, c)
				used[a.holder(t, ctx, c.ConnectionID())] = true
			}
			resp, err := hubOf(t, a.multi, "chat").SendToAll(ctx, signalr.Message{Target: "newMessage", Arguments: []any{"hello"}}, nil)
			require.NoError(t, err)
			require.Len(t, resp.Endpoints, n)
			for _, c := range clients {
				ev, err := c.WaitFor(ctx, jsclient.IsMessage("newMessage"))
				require.NoError(t, err)
				var text string
				require.NoError(t, ev.Arg(0, &text))
				assert.Equal(t, "hello", text)
			}
			for _, c := range clients {
				for _, ev := range c.Pending() {
					assert.NotEqual(t, "newMessage", ev.Target, "a client got the broadcast twice")
				}
			}
			t.Logf("clients landed on endpoints %v", used)
		})
	}
}

// An endpoint taken down is marked offline by the next round of health checks, negotiate stops
// choosing it, and it is chosen again once it is back.
func TestNegotiateAvoidsOfflineEndpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := newMultiEndpointApp(t, 2)
	n := negotiator(t, a.multi)
	a.multi.Endpoints() // starts the health checks
	<-a.rounds

	chosen := func() map[int]int {
		counts := map[int]int{}
		for range 64 {
			info, err := n.Negotiate(ctx, "chat", nil)
			require.NoError(t, err)
			for i, c := range a.clients {
				if strings.HasPrefix(info.URL, c.Endpoints()[0].Endpoint+"/") {
					counts[i]++
				}
			}
		}
		return counts
	}
	both := chosen()
	assert.Positive(t, both[0])
	assert.Positive(t, both[1])

	a.services[1].down.Store(true)
	assert.True(t, a.multi.Endpoints()[1].Online, "nothing is marked before the interval passes")
	a.interval(t)
	assert.False(t, a.multi.Endpoints()[1].Online)
	assert.Equal(t, map[int]int{0: 64}, chosen())

	// Every endpoint down: negotiate fails loudly, with 503 from the handler.
	a.services[0].down.Store(true)
	a.interval(t)
	_, err := n.Negotiate(ctx, "chat", nil)
	require.ErrorIs(t, err, signalr.ErrNoEndpointOnline)
	resp, err := http.Post(a.app.URL+"/api/negotiate", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	a.services[0].down.Store(false)
	a.services[1].down.Store(false)
	a.interval(t)
	back := chosen()
	assert.Positive(t, back[1], "the endpoint is chosen again once it is back")
}

// An Entra credential that records the scopes it is asked for; its token names the scope, so
// the emulator's validator can check it.
type scopeCredential struct {
	mu     sync.Mutex
	scopes [][]string
	deny   bool
}

func (c *scopeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, opts.Scopes)
	token := "entra-for:" + strings.Join(opts.Scopes, " ")
	if c.deny {
		token = "entra-unauthorized"
	}
	return azcore.AccessToken{Token: token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func entraEmulator(t *testing.T) *signalrtest.Server {
	t.Helper()
	srv := signalrtest.NewServer(&signalrtest.Options{
		TokenValidator: func(_ context.Context, token string) error {
			if token != "entra-for:"+signalr.EntraScope {
				return fmt.Errorf("token %q is not for %s", token, signalr.EntraScope)
			}
			return nil
		},
	})
	t.Cleanup(srv.Close)
	return srv
}

func entraClient(t *testing.T, srv *signalrtest.Server, cred *scopeCredential) *signalr.Client {
	t.Helper()
	c, err := signalr.NewClient(srv.URL, cred, &signalr.ClientOptions{ClientOptions: azcore.ClientOptions{
		InsecureAllowCredentialWithHTTP: true, // the emulator is plain http on loopback
		Retry:                           policy.RetryOptions{MaxRetries: -1},
	}})
	require.NoError(t, err)
	return c
}

// REST calls under Microsoft Entra ID carry a bearer token for https://signalr.azure.com/.default,
// which the emulator accepts; a credential the service refuses gives a 401 error at once.
func TestEntraRESTAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := entraEmulator(t)
	cred := &scopeCredential{}
	c := entraClient(t, srv, cred)
	_, err := hubOf(t, c, "chat").SendToAll(ctx, signalr.Message{Target: "t"}, nil)
	require.NoError(t, err)
	ok, err := hubOf(t, c, "chat").UserExists(ctx, "nobody", nil)
	require.NoError(t, err)
	assert.False(t, ok)
	cred.mu.Lock()
	require.NotEmpty(t, cred.scopes)
	for _, s := range cred.scopes {
		assert.Equal(t, []string{signalr.EntraScope}, s)
	}
	cred.mu.Unlock()
	calls := srv.RESTCalls()
	require.NotEmpty(t, calls)
	assert.Equal(t, http.StatusAccepted, calls[0].Status)

	denied := entraClient(t, srv, &scopeCredential{deny: true})
	_, err = hubOf(t, denied, "chat").SendToAll(ctx, signalr.Message{Target: "t"}, nil)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusUnauthorized, re.StatusCode)
	require.NoError(t, ctx.Err(), "the refusal came back, not a timeout")
	assert.NotContains(t, err.Error(), "entra-unauthorized", "the token stays out of the error")
}

// Under Microsoft Entra ID, negotiate fetches the temporary key from /api/v1/auth/accessKey and
// mints tokens the emulator accepts: the official client connects with them and receives a
// message sent through REST with a bearer token.
func TestEntraNegotiateAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := entraEmulator(t)
	c := entraClient(t, srv, &scopeCredential{})
	n := negotiator(t, c)
	info, err := n.Negotiate(ctx, "chat", &negotiate.Options{UserID: "alice"})
	require.NoError(t, err)
	var sawKey bool
	for _, call := range srv.RESTCalls() {
		sawKey = sawKey || strings.EqualFold(call.Path, "/api/v1/auth/accessKey") && call.Status == http.StatusOK
	}
	assert.True(t, sawKey, "the key came from /api/v1/auth/accessKey")

	// The emulator's own negotiate accepts the token.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.Replace(info.URL, "/client/?", "/client/negotiate?", 1)+"&negotiateVersion=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	t.Run("JS client", func(t *testing.T) {
		jsclient.Require(t)
		mux := http.NewServeMux()
		mux.Handle("/api/negotiate", handler(t, n, "chat", &negotiate.HandlerOptions{
			UserID: func(*http.Request) (string, error) { return "alice", nil },
		}))
		app := httptest.NewServer(mux)
		t.Cleanup(app.Close)
		js := jsclient.Start(t, jsclient.Config{URL: app.URL + "/api", Targets: []string{"newMessage"}})
		_, err := hubOf(t, c, "chat").SendToUser(ctx, "alice", signalr.Message{Target: "newMessage", Arguments: []any{"hi alice"}}, nil)
		require.NoError(t, err)
		ev, err := js.WaitFor(ctx, jsclient.IsMessage("newMessage"))
		require.NoError(t, err)
		var text string
		require.NoError(t, ev.Arg(0, &text))
		assert.Equal(t, "hi alice", text)
	})

	t.Run("unauthorized credential", func(t *testing.T) {
		bad := negotiator(t, entraClient(t, srv, &scopeCredential{deny: true}))
		_, err := bad.Negotiate(ctx, "chat", nil)
		var ke *negotiate.KeyError
		require.ErrorAs(t, err, &ke)
		var re *azcore.ResponseError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, http.StatusUnauthorized, re.StatusCode)
		require.NoError(t, ctx.Err(), "the refusal came back, not a timeout")
	})
}

// hubOf returns c's client for a hub, failing the test on an invalid name.
func hubOf(t testing.TB, c *signalr.Client, name string) *signalr.HubClient {
	t.Helper()
	h, err := c.Hub(name)
	require.NoError(t, err)
	return h
}

func negotiator(t testing.TB, c *signalr.Client) *negotiate.Negotiator {
	t.Helper()
	n, err := negotiate.New(c, nil)
	require.NoError(t, err)
	return n
}

func handler(t testing.TB, n *negotiate.Negotiator, hub string, opts *negotiate.HandlerOptions) http.Handler {
	t.Helper()
	h, err := negotiate.Handler(n, hub, opts)
	require.NoError(t, err)
	return h
}
