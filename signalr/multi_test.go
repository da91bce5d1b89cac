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

// multiFixture is several fake services behind one Client.
type multiFixture struct {
	services map[string]*fakeService
	client   *Client
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
	t.Cleanup(func() { _ = c.Close() })
	f.client = c
	return f
}

// hub returns the fixture's client for hub "chat".
func (f *multiFixture) hub(t *testing.T) *HubClient { return hubOf(t, f.client, "chat") }

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
		call func(h *HubClient) ([]EndpointResult, error)
		path string
	}{
		{"SendToAll", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.SendToAll(ctx, msg, nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/:send"},
		{"SendToUser", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.SendToUser(ctx, "u", msg, nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/users/u/:send"},
		{"SendToGroup", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.SendToGroup(ctx, "g", msg, nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/groups/g/:send"},
		{"SendToConnection", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.SendToConnection(ctx, "c", msg, nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/connections/c/:send"},
		{"AddUserToGroup", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.AddUserToGroup(ctx, "g", "u", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/users/u/groups/g"},
		{"RemoveUserFromGroup", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.RemoveUserFromGroup(ctx, "g", "u", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/users/u/groups/g"},
		{"RemoveUserFromAllGroups", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.RemoveUserFromAllGroups(ctx, "u", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/users/u/groups"},
		{"AddConnectionToGroup", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.AddConnectionToGroup(ctx, "g", "c", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/groups/g/connections/c"},
		{"RemoveConnectionFromGroup", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.RemoveConnectionFromGroup(ctx, "g", "c", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/groups/g/connections/c"},
		{"RemoveConnectionFromAllGroups", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.RemoveConnectionFromAllGroups(ctx, "c", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/connections/c/groups"},
		{"CloseConnection", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.CloseConnection(ctx, "c", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/connections/c"},
		{"CloseAllConnections", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.CloseAllConnections(ctx, nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/:closeConnections"},
		{"CloseGroupConnections", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.CloseGroupConnections(ctx, "g", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/groups/g/:closeConnections"},
		{"CloseUserConnections", func(h *HubClient) ([]EndpointResult, error) {
			r, err := h.CloseUserConnections(ctx, "u", nil)
			return r.Endpoints, err
		}, "/api/hubs/chat/users/u/:closeConnections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newMultiFixture(t, []string{"east", "west", "north"}, nil)
			res, err := tt.call(hubOf(t, f.client, "Chat"))
			require.NoError(t, err)
			require.Len(t, res, 3)
			for i, name := range []string{"east", "west", "north"} {
				assert.Equal(t, name, res[i].Endpoint.Name)
				assert.Equal(t, f.services[name].URL, res[i].Endpoint.Endpoint)
				assert.NoError(t, res[i].Err)
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
		hub     func(h *HubClient) *HubClient
		targets []EndpointRef
		want    map[string]int
		wantErr string
	}{
		{"every endpoint by default", nil, nil, map[string]int{"east": 1, "west": 1, "north": 1}, ""},
		{"message endpoints by name, any case", nil, []EndpointRef{{Name: "WEST"}}, map[string]int{"east": 0, "west": 1, "north": 0}, ""},
		{"message endpoints by URL", nil, []EndpointRef{{Endpoint: "east-url"}}, map[string]int{"east": 1, "west": 0, "north": 0}, ""},
		{"a repeated endpoint is sent to once", nil, []EndpointRef{{Name: "east"}, {Name: "east"}}, map[string]int{"east": 1, "west": 0, "north": 0}, ""},
		{"WithEndpoints", func(h *HubClient) *HubClient { return h.WithEndpoints("east", "north") }, nil,
			map[string]int{"east": 1, "west": 0, "north": 1}, ""},
		{"WithEndpoints and message endpoints intersect", func(h *HubClient) *HubClient { return h.WithEndpoints("east", "north") },
			[]EndpointRef{{Name: "north"}}, map[string]int{"east": 0, "west": 0, "north": 1}, ""},
		{"a message endpoint outside WithEndpoints fails", func(h *HubClient) *HubClient { return h.WithEndpoints("east") },
			[]EndpointRef{{Name: "west"}}, map[string]int{"east": 0, "west": 0, "north": 0}, `endpoint "west" is not one of the client's endpoints`},
		{"an unknown endpoint fails before any send", nil, []EndpointRef{{Name: "east"}, {Name: "south"}}, map[string]int{"east": 0, "west": 0, "north": 0},
			`endpoint "south" is not one of the client's endpoints`},
		{"WithEndpoints without names is every endpoint", func(h *HubClient) *HubClient { return h.WithEndpoints() }, nil,
			map[string]int{"east": 1, "west": 1, "north": 1}, ""},
		{"an unknown WithEndpoints name fails", func(h *HubClient) *HubClient { return h.WithEndpoints("mars") }, nil,
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
			h := f.hub(t)
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
	resp, err := f.hub(t).SendToAll(context.Background(), Message{Target: "t"}, nil)
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
			got, err := f.hub(t).UserExists(context.Background(), "u", nil)
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
			h := f.hub(t)
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
	h := f.hub(t)
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
	h := f.hub(t)
	calls := map[string]func() error{
		"empty user":  func() error { _, err := h.SendToUser(ctx, "", Message{Target: "t"}, nil); return err },
		"no target":   func() error { _, err := h.SendToAll(ctx, Message{}, nil); return err },
		"blank group": func() error { _, err := h.AddUserToGroup(ctx, " ", "u", nil); return err },
		"negative TTL": func() error {
			_, err := h.AddUserToGroup(ctx, "g", "u", &AddUserToGroupOptions{TTL: -time.Second})
			return err
		},
		"empty conn": func() error { _, err := h.ConnectionExists(ctx, "", nil); return err },
		"bad hub":    func() error { _, err := f.client.Hub("1bad"); return err },
		"generate token for two endpoints": func() error {
			_, err := h.GenerateClientToken(ctx, nil)
			return err
		},
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
	two, err := NewClientWithEndpoints([]Endpoint{{Name: "a", Client: c}, {Name: "b", Client: c}}, nil)
	require.NoError(t, err)
	tests := []struct {
		name      string
		endpoints []Endpoint
		want      string
	}{
		{"none", nil, "no endpoints"},
		{"nil client", []Endpoint{{Name: "a"}}, `endpoint 0 ("a") has no Client`},
		{"a client of several endpoints", []Endpoint{{Name: "a", Client: two}}, `endpoint 0 ("a") has a Client of 2 endpoints; expected a Client of one endpoint`},
		{"duplicate name", []Endpoint{{Name: "a", Client: c}, {Name: "A", Client: c}}, `endpoint name "A" is used twice`},
		{"two unnamed", []Endpoint{{Client: c}, {Client: c}}, `endpoint name "" is used twice`},
		{"bad type", []Endpoint{{Name: "a", Type: "Tertiary", Client: c}}, `endpoint "a" has type "Tertiary"; expected Primary or Secondary`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClientWithEndpoints(tt.endpoints, nil)
			require.ErrorContains(t, err, tt.want)
			assert.Nil(t, c)
		})
	}
	b, err := NewClientFromConnectionString("Endpoint="+f.URL+";AccessKey="+testKey, nil)
	require.NoError(t, err)
	mc, err := NewClientWithEndpoints([]Endpoint{{Name: "a", Type: "secondary", Client: c}, {Name: "b", Client: b}}, nil)
	require.NoError(t, err)
	refs := mc.refs()
	assert.Equal(t, EndpointTypeSecondary, refs[0].EndpointType)
	assert.Equal(t, EndpointTypePrimary, refs[1].EndpointType)
	assert.Equal(t, "b", refs[1].Name)
	assert.Same(t, only(b), mc.endpoints[1].conn, "an endpoint keeps its client's pipeline")
}

// fakeTicker replaces the health-check clock: interval waits block until Tick, retry delays
// pass at once.
type fakeTicker struct {
	interval time.Duration
	ticks    chan time.Time
	rounds   chan struct{}
}

func installFakeTicker(c *Client) *fakeTicker {
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
		for _, r := range f.client.refs() {
			out[r.Name] = r.Online
		}
		return out
	}

	// Operations do not start the checks; the first Endpoints does, once.
	_, err := f.hub(t).SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.NoError(t, err)
	assert.NotContains(t, goroutines(), "signalr.(*Client).healthLoop")
	assert.Zero(t, westHealth.Load())
	f.client.Endpoints()
	f.client.Endpoints()
	<-ft.rounds // the first round runs at once
	assert.Equal(t, map[string]bool{"east": true, "west": true}, online())
	assert.Equal(t, int32(1), westHealth.Load())
	r := f.services["west"].last(t)
	assert.Equal(t, DefaultAPIVersion, r.Query.Get("api-version"))

	westDown.Store(true)
	ft.round(t)
	assert.Equal(t, map[string]bool{"east": true, "west": false}, online())
	assert.Equal(t, int32(1+1+defaultHealthCheckRetries), westHealth.Load(), "a failing check is retried twice, without azcore's retries")

	westDown.Store(false)
	ft.round(t)
	assert.Equal(t, map[string]bool{"east": true, "west": true}, online())

	assert.Contains(t, goroutines(), "signalr.(*Client).healthLoop")
	require.NoError(t, f.client.Close())
	assert.NotContains(t, goroutines(), "signalr.(*Client).healthLoop", "Close returns after the checker ended")
	f.client.Endpoints()
	assert.NotContains(t, goroutines(), "signalr.(*Client).healthLoop", "nothing restarts after Close")
	require.NoError(t, f.client.Close(), "Close twice is fine")
}

// goroutines returns the stacks of every goroutine.
func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// Health with several endpoints checks each now, marks it, and reports every outcome.
func TestHealthReportsEveryEndpoint(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, func(name string, w http.ResponseWriter, _ *http.Request) {
		if name == "east" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	installFakeTicker(f.client)
	resp, err := f.client.Health(context.Background(), nil)
	var ee *EndpointError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "east", ee.Name)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusBadGateway, re.StatusCode)
	require.Len(t, resp.Endpoints, 2)
	assert.Equal(t, "east", resp.Endpoints[0].Endpoint.Name)
	assert.False(t, resp.Endpoints[0].Endpoint.Online)
	assert.Error(t, resp.Endpoints[0].Err)
	assert.True(t, resp.Endpoints[1].Endpoint.Online)
	assert.NoError(t, resp.Endpoints[1].Err)
	refs := f.client.refs()
	assert.False(t, refs[0].Online)
	assert.True(t, refs[1].Online)
	assert.Equal(t, 1+defaultHealthCheckRetries, len(f.services["east"].requests()))
}

// A lone endpoint is never filtered out and never checked in the background; Health checks it
// through the pipeline and returns its own error.
func TestHealthSingleEndpointAlwaysOnline(t *testing.T) {
	var checks atomic.Int32
	f := newMultiFixture(t, []string{"only"}, func(_ string, w http.ResponseWriter, _ *http.Request) {
		checks.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	installFakeTicker(f.client)
	refs := f.client.Endpoints()
	assert.NotContains(t, goroutines(), "signalr.(*Client).healthLoop")
	resp, err := f.client.Health(context.Background(), nil)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	var ee *EndpointError
	assert.False(t, errors.As(err, &ee), "one endpoint: the error is its own")
	require.Len(t, resp.Endpoints, 1)
	assert.True(t, resp.Endpoints[0].Endpoint.Online)
	assert.Error(t, resp.Endpoints[0].Err)
	assert.True(t, refs[0].Online)
	assert.True(t, f.client.Endpoints()[0].Online)
	assert.Equal(t, int32(4), checks.Load(), "only the explicit Health ran, with the pipeline's three retries")
}

func TestEndpointErrorUnwraps(t *testing.T) {
	cause := errors.New("boom")
	err := errors.Join(&EndpointError{Name: "a", Endpoint: "https://a", Err: cause})
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, `signalr: endpoint "a" (https://a): boom`, err.Error())
}
