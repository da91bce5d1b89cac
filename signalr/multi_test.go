package signalr

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// multiFixture is several fake services behind one MultiEndpointClient.
type multiFixture struct {
	services map[string]*fakeService
	client   *MultiEndpointClient
}

// newMultiFixture starts one fake service per name; respond, when set, answers for every one.
func newMultiFixture(t *testing.T, names []string, respond func(name string, w http.ResponseWriter, r *http.Request)) *multiFixture {
	t.Helper()
	f := &multiFixture{services: map[string]*fakeService{}}
	var endpoints []Endpoint
	for i, name := range names {
		svc := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			if respond != nil {
				respond(name, w, r)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		})
		f.services[name] = svc
		typ := EndpointTypePrimary
		if i == len(names)-1 && len(names) > 2 {
			typ = EndpointTypeSecondary
		}
		endpoints = append(endpoints, Endpoint{Name: name, Type: typ, Client: newTestClient(t, svc, nil)})
	}
	c, err := NewClientWithEndpoints(endpoints, nil)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	f.client = c
	return f
}

func (f *multiFixture) counts() map[string]int {
	out := map[string]int{}
	for name, s := range f.services {
		out[name] = len(s.requests())
	}
	return out
}

func TestMultiEndpointSendsReachEveryEndpoint(t *testing.T) {
	ctx := context.Background()
	msg := Message{Target: "newMessage", Arguments: []any{"hi"}}
	tests := []struct {
		name string
		call func(h *MultiEndpointHubClient) (FanOutResponse, error)
		path string
	}{
		{"SendToAll", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.SendToAll(ctx, msg, nil) }, "/api/hubs/chat/:send"},
		{"SendToUser", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.SendToUser(ctx, "u", msg, nil) }, "/api/hubs/chat/users/u/:send"},
		{"SendToGroup", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.SendToGroup(ctx, "g", msg, nil) }, "/api/hubs/chat/groups/g/:send"},
		{"SendToConnection", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.SendToConnection(ctx, "c", msg, nil)
		}, "/api/hubs/chat/connections/c/:send"},
		{"AddUserToGroup", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.AddUserToGroup(ctx, "g", "u", nil) }, "/api/hubs/chat/users/u/groups/g"},
		{"RemoveUserFromGroup", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.RemoveUserFromGroup(ctx, "g", "u", nil)
		}, "/api/hubs/chat/users/u/groups/g"},
		{"RemoveUserFromAllGroups", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.RemoveUserFromAllGroups(ctx, "u", nil)
		}, "/api/hubs/chat/users/u/groups"},
		{"AddConnectionToGroup", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.AddConnectionToGroup(ctx, "g", "c", nil)
		}, "/api/hubs/chat/groups/g/connections/c"},
		{"RemoveConnectionFromGroup", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.RemoveConnectionFromGroup(ctx, "g", "c", nil)
		}, "/api/hubs/chat/groups/g/connections/c"},
		{"RemoveConnectionFromAllGroups", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.RemoveConnectionFromAllGroups(ctx, "c", nil)
		}, "/api/hubs/chat/connections/c/groups"},
		{"CloseConnection", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.CloseConnection(ctx, "c", nil) }, "/api/hubs/chat/connections/c"},
		{"CloseAllConnections", func(h *MultiEndpointHubClient) (FanOutResponse, error) { return h.CloseAllConnections(ctx, nil) }, "/api/hubs/chat/:closeConnections"},
		{"CloseGroupConnections", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.CloseGroupConnections(ctx, "g", nil)
		}, "/api/hubs/chat/groups/g/:closeConnections"},
		{"CloseUserConnections", func(h *MultiEndpointHubClient) (FanOutResponse, error) {
			return h.CloseUserConnections(ctx, "u", nil)
		}, "/api/hubs/chat/users/u/:closeConnections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west", "north"}, nil)
			resp, err := tt.call(f.client.Hub("Chat"))
			require.NoError(t, err)
			require.Len(t, resp.Endpoints, 3)
			for i, name := range []string{"east", "west", "north"} {
				assert.Equal(t, name, resp.Endpoints[i].Endpoint.Name)
				assert.Equal(t, f.services[name].URL, resp.Endpoints[i].Endpoint.Endpoint)
				assert.NoError(t, resp.Endpoints[i].Err)
				r := f.services[name].last(t)
				assert.Equal(t, tt.path, r.Path)
				verifyToken(t, f.services[name], r, testKey)
			}
			assert.Equal(t, map[string]int{"east": 1, "west": 1, "north": 1}, f.counts())
		})
	}
}

func TestMultiEndpointNarrowing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		hub     func(h *MultiEndpointHubClient) *MultiEndpointHubClient
		targets []EndpointRef
		want    map[string]int
		wantErr string
	}{
		{"every endpoint by default", nil, nil, map[string]int{"east": 1, "west": 1, "north": 1}, ""},
		{"message endpoints by name, any case", nil, []EndpointRef{{Name: "WEST"}}, map[string]int{"east": 0, "west": 1, "north": 0}, ""},
		{"message endpoints by URL", nil, []EndpointRef{{Endpoint: "east-url"}}, map[string]int{"east": 1, "west": 0, "north": 0}, ""},
		{"a repeated endpoint is sent to once", nil, []EndpointRef{{Name: "east"}, {Name: "east"}}, map[string]int{"east": 1, "west": 0, "north": 0}, ""},
		{"WithEndpoints", func(h *MultiEndpointHubClient) *MultiEndpointHubClient { return h.WithEndpoints("east", "north") }, nil,
			map[string]int{"east": 1, "west": 0, "north": 1}, ""},
		{"WithEndpoints and message endpoints intersect", func(h *MultiEndpointHubClient) *MultiEndpointHubClient { return h.WithEndpoints("east", "north") },
			[]EndpointRef{{Name: "north"}}, map[string]int{"east": 0, "west": 0, "north": 1}, ""},
		{"a message endpoint outside WithEndpoints fails", func(h *MultiEndpointHubClient) *MultiEndpointHubClient { return h.WithEndpoints("east") },
			[]EndpointRef{{Name: "west"}}, map[string]int{"east": 0, "west": 0, "north": 0}, `endpoint "west" is not one of the client's endpoints`},
		{"an unknown endpoint fails before any send", nil, []EndpointRef{{Name: "east"}, {Name: "south"}}, map[string]int{"east": 0, "west": 0, "north": 0},
			`endpoint "south" is not one of the client's endpoints`},
		{"WithEndpoints without names is every endpoint", func(h *MultiEndpointHubClient) *MultiEndpointHubClient { return h.WithEndpoints() }, nil,
			map[string]int{"east": 1, "west": 1, "north": 1}, ""},
		{"an unknown WithEndpoints name fails", func(h *MultiEndpointHubClient) *MultiEndpointHubClient { return h.WithEndpoints("mars") }, nil,
			map[string]int{"east": 0, "west": 0, "north": 0}, `endpoint "mars"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west", "north"}, nil)
			for i, ref := range tt.targets {
				if ref.Endpoint == "east-url" {
					tt.targets[i].Endpoint = f.services["east"].URL + "/"
				}
			}
			h := f.client.Hub("chat")
			if tt.hub != nil {
				h = tt.hub(h)
			}
			_, err := h.SendToAll(ctx, Message{Target: "t", Endpoints: tt.targets}, nil)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, f.counts())
		})
	}
}

// One failing endpoint fails the call with an error naming it; the others still got the message
// and the response says so.
func TestMultiEndpointFailureIsNamed(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
		if name == "west" {
			w.Header().Set("x-ms-error-code", "Error.Auth.Denied")
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	resp, err := f.client.Hub("chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `endpoint "west" (`+f.services["west"].URL+`)`)
	assert.NotContains(t, err.Error(), `"east"`)
	var ee *EndpointError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "west", ee.Name)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusForbidden, re.StatusCode)
	assert.NotContains(t, err.Error(), testKey)

	require.Len(t, resp.Endpoints, 2)
	assert.NoError(t, resp.Endpoints[0].Err)
	assert.Error(t, resp.Endpoints[1].Err)
	assert.Equal(t, map[string]int{"east": 1, "west": 1}, f.counts())
}

func TestMultiEndpointExistence(t *testing.T) {
	tests := []struct {
		name    string
		answers map[string]int // status per endpoint; 404 carries Warning.User.NotExisted
		want    bool
		wantErr bool
	}{
		{"true when one says true", map[string]int{"east": 404, "west": 200}, true, false},
		{"true even when another fails", map[string]int{"east": 500, "west": 200}, true, false},
		{"false when all say false", map[string]int{"east": 404, "west": 404}, false, false},
		{"an error when none says true and one fails", map[string]int{"east": 404, "west": 401}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
				if tt.answers[name] == 404 {
					w.Header().Set("x-ms-error-code", errorCodeUserNotExisted)
				}
				w.WriteHeader(tt.answers[name])
			})
			got, err := f.client.Hub("chat").UserExists(context.Background(), "u", nil)
			assert.Equal(t, tt.want, got)
			if tt.wantErr {
				require.ErrorContains(t, err, `endpoint "west"`)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// Adding a connection to a group succeeds when the endpoint holding it adds it, although the
// others do not know the connection; with no endpoint knowing it, it fails.
func TestMultiEndpointAddConnectionToGroup(t *testing.T) {
	for _, holder := range []string{"west", ""} {
		t.Run("holder="+holder, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
				if name == holder {
					w.WriteHeader(http.StatusOK)
					return
				}
				w.Header().Set("x-ms-error-code", errorCodeConnectionNotExistedError)
				w.WriteHeader(http.StatusNotFound)
			})
			h := f.client.Hub("chat")
			resp, err := h.AddConnectionToGroup(context.Background(), "g", "c", nil)
			applyErr := h.Apply(context.Background(), GroupAction{Action: GroupActionAdd, GroupName: "g", ConnectionID: "c"})
			if holder == "" {
				require.Error(t, err)
				require.Error(t, applyErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, applyErr)
			for _, r := range resp.Endpoints {
				assert.NoError(t, r.Err)
			}
		})
	}
}

func TestMultiEndpointApplyRoutesPerItem(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, nil)
	h := f.client.Hub("chat")
	err := h.Apply(context.Background(),
		Message{Target: "a", Endpoints: []EndpointRef{{Name: "east"}}},
		&GroupAction{Action: GroupActionAdd, UserID: "u", GroupName: "g", Endpoints: []EndpointRef{{Name: "west"}}},
		Message{Target: "b", UserID: "u"},
	)
	require.NoError(t, err)
	east, west := f.services["east"].requests(), f.services["west"].requests()
	require.Len(t, east, 2)
	require.Len(t, west, 2)
	assert.Equal(t, "/api/hubs/chat/:send", east[0].Path)
	assert.Equal(t, "/api/hubs/chat/users/u/:send", east[1].Path)
	assert.Equal(t, "/api/hubs/chat/users/u/groups/g", west[0].Path)
	assert.Equal(t, "/api/hubs/chat/users/u/:send", west[1].Path)

	// An item naming an unknown endpoint stops everything before the first request.
	err = h.Apply(context.Background(), Message{Target: "a"}, Message{Target: "b", Endpoints: []EndpointRef{{Name: "mars"}}})
	require.ErrorContains(t, err, "output item 1")
	assert.Len(t, f.services["east"].requests(), 2)
}

// Bad arguments are reported once, before any request.
func TestMultiEndpointInvalidArgumentsFailBeforeIO(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, nil)
	ctx := context.Background()
	h := f.client.Hub("chat")
	calls := map[string]func() error{
		"empty user":  func() error { _, err := h.SendToUser(ctx, "", Message{Target: "t"}, nil); return err },
		"no target":   func() error { _, err := h.SendToAll(ctx, Message{}, nil); return err },
		"blank group": func() error { _, err := h.AddUserToGroup(ctx, " ", "u", nil); return err },
		"negative TTL": func() error {
			_, err := h.AddUserToGroup(ctx, "g", "u", &AddUserToGroupOptions{TTL: -time.Second})
			return err
		},
		"empty conn":     func() error { _, err := h.ConnectionExists(ctx, "", nil); return err },
		"bad hub":        func() error { _, err := f.client.Hub("1bad").SendToAll(ctx, Message{Target: "t"}, nil); return err },
		"routed message": func() error { _, err := h.SendToAll(ctx, Message{Target: "t", UserID: "u"}, nil); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "endpoint \"", "a validation error is not an endpoint's failure")
			assert.Equal(t, 1, strings.Count(err.Error(), "signalr:"), "reported once: %v", err)
		})
	}
	assert.Equal(t, map[string]int{"east": 0, "west": 0}, f.counts())
}

func TestNewClientWithEndpointsErrors(t *testing.T) {
	f := newFakeService(t, nil)
	c := newTestClient(t, f, nil)
	tests := []struct {
		name      string
		endpoints []Endpoint
		want      string
	}{
		{"none", nil, "no endpoints"},
		{"nil client", []Endpoint{{Name: "a"}}, `endpoint 0 ("a") has no Client`},
		{"duplicate name", []Endpoint{{Name: "a", Client: c}, {Name: "A", Client: c}}, `endpoint name "A" is used twice`},
		{"two unnamed", []Endpoint{{Client: c}, {Client: c}}, `endpoint name "" is used twice`},
		{"bad type", []Endpoint{{Name: "a", Type: "Tertiary", Client: c}}, `type "Tertiary"; expected Primary or Secondary`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewClientWithEndpoints(tt.endpoints, nil)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := NewEndpointFromConnectionString("bad", "", "Endpoint=https://x.net;AccessKey="+secretKey+";Port=0", nil)
	require.ErrorContains(t, err, `endpoint "bad"`)
	assert.NotContains(t, err.Error(), secretKey)
	b, err := NewEndpointFromConnectionString("b", "", "Endpoint="+f.URL+";AccessKey="+testKey, nil)
	require.NoError(t, err)
	mc, err := NewClientWithEndpoints([]Endpoint{{Name: "a", Type: "secondary", Client: c}, b}, nil)
	require.NoError(t, err)
	refs := mc.EndpointRefs()
	assert.Equal(t, EndpointTypeSecondary, refs[0].EndpointType)
	assert.Equal(t, EndpointTypePrimary, refs[1].EndpointType)
	e, ok := mc.Endpoint("B")
	require.True(t, ok)
	assert.Equal(t, "b", e.Name)
}

// fakeTicker replaces the health-check clock: interval waits block until Tick, retry delays
// pass at once.
type fakeTicker struct {
	interval time.Duration
	ticks    chan time.Time
	rounds   chan struct{}
}

func installFakeTicker(c *MultiEndpointClient) *fakeTicker {
	ft := &fakeTicker{interval: c.hc.Interval, ticks: make(chan time.Time), rounds: make(chan struct{}, 16)}
	c.after = func(d time.Duration) <-chan time.Time {
		if d == ft.interval {
			return ft.ticks
		}
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	c.roundDone = func() { ft.rounds <- struct{}{} }
	return ft
}

// round lets one interval pass and waits for the round of checks it starts.
func (ft *fakeTicker) round(t *testing.T) {
	t.Helper()
	ft.ticks <- time.Time{}
	<-ft.rounds
}

func TestHealthChecks(t *testing.T) {
	var westDown atomic.Bool
	var westHealth atomic.Int32
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead || r.URL.Path != "/api/health" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		if name == "west" {
			westHealth.Add(1)
			if westDown.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
	ft := installFakeTicker(f.client)
	online := func() map[string]bool {
		out := map[string]bool{}
		for _, r := range f.client.EndpointRefs() {
			out[r.Name] = r.Online
		}
		return out
	}

	require.NoError(t, f.client.StartHealthChecks())
	require.NoError(t, f.client.StartHealthChecks(), "a second start does nothing")
	<-ft.rounds // the first round runs at once
	assert.Equal(t, map[string]bool{"east": true, "west": true}, online())
	assert.Equal(t, int32(1), westHealth.Load())
	r := f.services["west"].last(t)
	assert.Equal(t, DefaultAPIVersion, r.Query.Get("api-version"))

	westDown.Store(true)
	ft.round(t)
	assert.Equal(t, map[string]bool{"east": true, "west": false}, online())
	assert.Equal(t, int32(1+1+DefaultHealthCheckRetries), westHealth.Load(), "a failing check is retried twice, without azcore's retries")

	westDown.Store(false)
	ft.round(t)
	assert.Equal(t, map[string]bool{"east": true, "west": true}, online())

	assert.Contains(t, goroutines(), "signalr.(*MultiEndpointClient).loop")
	f.client.Close()
	assert.NotContains(t, goroutines(), "signalr.(*MultiEndpointClient).loop", "Close returns after the checker ended")
	require.ErrorContains(t, f.client.StartHealthChecks(), "after Close")
}

// goroutines returns the stacks of every goroutine.
func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

func TestHealthCheckReportsOfflineEndpoints(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
		if name == "east" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	installFakeTicker(f.client)
	err := f.client.CheckHealth(context.Background())
	var ee *EndpointError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "east", ee.Name)
	refs := f.client.EndpointRefs()
	assert.False(t, refs[0].Online)
	assert.True(t, refs[1].Online)
}

// A lone endpoint is never filtered out and never checked.
func TestHealthSingleEndpointAlwaysOnline(t *testing.T) {
	var checks atomic.Int32
	f := newMultiFixture(t, []string{"only"}, func(_ string, w http.ResponseWriter, _ *http.Request) {
		checks.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	installFakeTicker(f.client)
	require.NoError(t, f.client.StartHealthChecks())
	assert.Error(t, f.client.CheckHealth(context.Background()))
	assert.True(t, f.client.EndpointRefs()[0].Online)
	f.client.Close()
	assert.Equal(t, int32(1+DefaultHealthCheckRetries), checks.Load(), "only the explicit CheckHealth ran")
}

func TestEndpointErrorUnwraps(t *testing.T) {
	cause := errors.New("boom")
	err := errors.Join(&EndpointError{Name: "a", Endpoint: "https://a", Err: cause})
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, `signalr: endpoint "a" (https://a): boom`, err.Error())
}
