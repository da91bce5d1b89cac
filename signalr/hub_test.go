package signalr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Identifiers with characters that must be escaped in a path segment.
const (
	oddUser  = "alice/ü b"
	oddGroup = "room#1?x"
	oddConn  = "c%1/2"
)

func TestHubOperationsWire(t *testing.T) {
	msg := Message{Target: "newMessage", Arguments: []any{"hi", 2}}
	const msgBody = `{"target":"newMessage","arguments":["hi",2]}`
	q := func(kv ...string) url.Values {
		v := url.Values{"api-version": {DefaultAPIVersion}}
		for i := 0; i < len(kv); i += 2 {
			v[kv[i]] = append(v[kv[i]], kv[i+1])
		}
		return v
	}
	eu, eg, ec := url.PathEscape(oddUser), url.PathEscape(oddGroup), url.PathEscape(oddConn)
	tests := []struct {
		name   string
		status int
		body   string // response body
		call   func(ctx context.Context, h *HubClient) (any, error)
		method string
		path   string // after /api/hubs/chat
		query  url.Values
		sent   string // request body, "" for none
		want   any
	}{
		{"SendToAll", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToAll(ctx, msg, nil)
		}, "POST", "/:send", q(), msgBody, SendToAllResponse{}},
		{"SendToAll excluded", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToAll(ctx, msg, &SendToAllOptions{Excluded: []string{"c1", "c&2"}})
		}, "POST", "/:send", q("excluded", "c1", "excluded", "c&2"), msgBody, SendToAllResponse{}},
		{"SendToAll nil arguments", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToAll(ctx, Message{Target: "ping"}, nil)
		}, "POST", "/:send", q(), `{"target":"ping","arguments":[]}`, SendToAllResponse{}},
		{"SendToUser", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToUser(ctx, oddUser, msg, nil)
		}, "POST", "/users/" + eu + "/:send", q(), msgBody, SendToUserResponse{}},
		{"SendToGroup", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToGroup(ctx, oddGroup, msg, &SendToGroupOptions{Excluded: []string{"c9"}})
		}, "POST", "/groups/" + eg + "/:send", q("excluded", "c9"), msgBody, SendToGroupResponse{}},
		{"SendToConnection", 202, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.SendToConnection(ctx, oddConn, msg, nil)
		}, "POST", "/connections/" + ec + "/:send", q(), msgBody, SendToConnectionResponse{}},
		{"AddConnectionToGroup", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.AddConnectionToGroup(ctx, oddGroup, oddConn, nil)
		}, "PUT", "/groups/" + eg + "/connections/" + ec, q(), "", AddConnectionToGroupResponse{}},
		{"RemoveConnectionFromGroup", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.RemoveConnectionFromGroup(ctx, oddGroup, oddConn, nil)
		}, "DELETE", "/groups/" + eg + "/connections/" + ec, q(), "", RemoveConnectionFromGroupResponse{}},
		{"RemoveConnectionFromAllGroups", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.RemoveConnectionFromAllGroups(ctx, oddConn, nil)
		}, "DELETE", "/connections/" + ec + "/groups", q(), "", RemoveConnectionFromAllGroupsResponse{}},
		{"AddUserToGroup", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.AddUserToGroup(ctx, oddGroup, oddUser, nil)
		}, "PUT", "/users/" + eu + "/groups/" + eg, q(), "", AddUserToGroupResponse{}},
		{"AddUserToGroup TTL", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.AddUserToGroup(ctx, "g", "u", &AddUserToGroupOptions{TTL: 90*time.Second + 900*time.Millisecond})
		}, "PUT", "/users/u/groups/g", q("ttl", "90"), "", AddUserToGroupResponse{}},
		{"AddUserToGroup sub-second TTL is one second", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.AddUserToGroup(ctx, "g", "u", &AddUserToGroupOptions{TTL: time.Millisecond})
		}, "PUT", "/users/u/groups/g", q("ttl", "1"), "", AddUserToGroupResponse{}},
		{"RemoveUserFromGroup", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.RemoveUserFromGroup(ctx, oddGroup, oddUser, nil)
		}, "DELETE", "/users/" + eu + "/groups/" + eg, q(), "", RemoveUserFromGroupResponse{}},
		{"RemoveUserFromAllGroups", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.RemoveUserFromAllGroups(ctx, oddUser, nil)
		}, "DELETE", "/users/" + eu + "/groups", q(), "", RemoveUserFromAllGroupsResponse{}},
		{"UserInGroup", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.UserInGroup(ctx, oddGroup, oddUser, nil)
		}, "HEAD", "/users/" + eu + "/groups/" + eg, q(), "", true},
		{"ConnectionExists", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.ConnectionExists(ctx, oddConn, nil)
		}, "HEAD", "/connections/" + ec, q(), "", true},
		{"UserExists", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.UserExists(ctx, oddUser, nil)
		}, "HEAD", "/users/" + eu, q(), "", true},
		{"GroupExists", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.GroupExists(ctx, oddGroup, nil)
		}, "HEAD", "/groups/" + eg, q(), "", true},
		{"CloseConnection", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseConnection(ctx, oddConn, &CloseConnectionOptions{Reason: "bye now"})
		}, "DELETE", "/connections/" + ec, q("reason", "bye now"), "", CloseConnectionResponse{}},
		{"CloseConnection no reason", 200, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseConnection(ctx, "c", nil)
		}, "DELETE", "/connections/c", q(), "", CloseConnectionResponse{}},
		{"CloseAllConnections", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseAllConnections(ctx, &CloseAllConnectionsOptions{Excluded: []string{"a", "b"}, Reason: "maintenance"})
		}, "POST", "/:closeConnections", q("excluded", "a", "excluded", "b", "reason", "maintenance"), "", CloseAllConnectionsResponse{}},
		{"CloseAllConnections nil options", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseAllConnections(ctx, nil)
		}, "POST", "/:closeConnections", q(), "", CloseAllConnectionsResponse{}},
		{"CloseGroupConnections", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseGroupConnections(ctx, oddGroup, &CloseGroupConnectionsOptions{Excluded: []string{"a"}, Reason: "r"})
		}, "POST", "/groups/" + eg + "/:closeConnections", q("excluded", "a", "reason", "r"), "", CloseGroupConnectionsResponse{}},
		{"CloseUserConnections", 204, "", func(ctx context.Context, h *HubClient) (any, error) {
			return h.CloseUserConnections(ctx, oddUser, &CloseUserConnectionsOptions{Reason: "r"})
		}, "POST", "/users/" + eu + "/:closeConnections", q("reason", "r"), "", CloseUserConnectionsResponse{}},
		{"GenerateClientToken", 200, `{"token":"tok.en.value"}`, func(ctx context.Context, h *HubClient) (any, error) {
			return h.GenerateClientToken(ctx, &GenerateClientTokenOptions{UserID: oddUser, Lifetime: 90 * time.Second})
		}, "POST", "/:generateToken", q("userId", oddUser, "minutesToExpire", "2"), "", GenerateClientTokenResponse{Token: "tok.en.value"}},
		{"GenerateClientToken defaults", 200, `{"token":"t"}`, func(ctx context.Context, h *HubClient) (any, error) {
			return h.GenerateClientToken(ctx, nil)
		}, "POST", "/:generateToken", q(), "", GenerateClientTokenResponse{Token: "t"}},
		{"InvokeConnection", 200, `{"result":{"message":"Hello, World!"},"protocol":"json"}`, func(ctx context.Context, h *HubClient) (any, error) {
			return h.InvokeConnection(ctx, oddConn, msg, nil)
		}, "POST", "/connections/" + ec + "/:invoke", q(), msgBody,
			InvokeConnectionResponse{Result: json.RawMessage(`{"message":"Hello, World!"}`), Protocol: "json"}},
		{"InvokeConnection no result", 200, `{}`, func(ctx context.Context, h *HubClient) (any, error) {
			return h.InvokeConnection(ctx, "c", msg, nil)
		}, "POST", "/connections/c/:invoke", q(), msgBody, InvokeConnectionResponse{Result: json.RawMessage("null")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if tt.body != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			h := hubOf(t, newTestClient(t, f, nil), "Chat")
			got, err := tt.call(context.Background(), h)
			require.NoError(t, err)
			if res, ok := splitEndpoints(&got); ok {
				// Every response names the endpoint it reached, with one endpoint too.
				assert.Equal(t, []EndpointResult{{Endpoint: EndpointRef{EndpointType: EndpointTypePrimary, Endpoint: f.URL, Online: true}}}, res)
			}
			assert.Equal(t, tt.want, got)

			reqs := f.requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, "/api/hubs/chat"+tt.path, r.Path)
			assert.Equal(t, tt.query, r.Query)
			if tt.sent == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.JSONEq(t, tt.sent, string(r.Body))
				assert.Equal(t, tt.sent, string(r.Body), "field order and spelling are the wire contract")
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			assert.Contains(t, r.Header.Get("User-Agent"), "azsdk-go-funcsignalr/v0.1.0")
			verifyToken(t, f, r, testKey)
		})
	}
}

func TestApplicationNamePrefixesHub(t *testing.T) {
	f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if strings.HasSuffix(r.URL.Path, ":generateToken") {
			_, _ = w.Write([]byte(`{"token":"t"}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	opts := testOptions()
	opts.ApplicationName = "MyApp"
	c := newTestClient(t, f, opts)
	assert.Equal(t, "myapp", only(c).application)
	h := hubOf(t, c, "Chat")

	_, err := h.SendToAll(context.Background(), Message{Target: "t"}, nil)
	require.NoError(t, err)
	r := f.last(t)
	assert.Equal(t, "/api/hubs/chat/:send", r.Path)
	assert.Equal(t, "myapp", r.Query.Get("application"))
	verifyToken(t, f, r, testKey)

	// :generateToken takes no application parameter, so the prefixed hub goes in the path.
	_, err = h.GenerateClientToken(context.Background(), nil)
	require.NoError(t, err)
	r = f.last(t)
	assert.Equal(t, "/api/hubs/myapp_chat/:generateToken", r.Path)
	assert.NotContains(t, r.Query, "application")
}

func TestAPIVersionOption(t *testing.T) {
	f := newFakeService(t, nil)
	opts := testOptions()
	opts.APIVersion = "2022-06-01"
	h := hubOf(t, newTestClient(t, f, opts), "chat")
	_, err := h.SendToAll(context.Background(), Message{Target: "t"}, &SendToAllOptions{Excluded: []string{"a", "b"}})
	require.NoError(t, err)
	r := f.last(t)
	assert.Equal(t, []string{"2022-06-01"}, r.Query["api-version"])
	assert.Equal(t, []string{"a", "b"}, r.Query["excluded"])
	verifyToken(t, f, r, testKey)
}

func TestExistenceChecks(t *testing.T) {
	type check func(ctx context.Context, h *HubClient) (bool, error)
	checks := map[string]struct {
		call check
		code string
	}{
		"ConnectionExists": {func(ctx context.Context, h *HubClient) (bool, error) { return h.ConnectionExists(ctx, "c", nil) }, "Warning.Connection.NotExisted"},
		"UserExists":       {func(ctx context.Context, h *HubClient) (bool, error) { return h.UserExists(ctx, "u", nil) }, "Warning.User.NotExisted"},
		"GroupExists":      {func(ctx context.Context, h *HubClient) (bool, error) { return h.GroupExists(ctx, "g", nil) }, "Warning.Group.NotExisted"},
		"UserInGroup":      {func(ctx context.Context, h *HubClient) (bool, error) { return h.UserInGroup(ctx, "g", "u", nil) }, "Info.User.NotInGroup"},
	}
	answers := []struct {
		name      string
		status    int
		code      func(expected string) string
		want      bool
		wantErr   bool
		wrongHint bool
	}{
		{"200 is true", 200, func(string) string { return "" }, true, false, false},
		{"404 with the expected code is false", 404, func(c string) string { return c }, false, false, false},
		{"404 code compared without case", 404, strings.ToLower, false, false, false},
		{"bare 404 says the endpoint looks wrong", 404, func(string) string { return "" }, false, true, true},
		{"404 with an unrelated code is an error", 404, func(string) string { return "Error.Unknown.Invalid" }, false, true, true},
		{"401 is an error", 401, func(string) string { return "" }, false, true, false},
	}
	for name, c := range checks {
		for _, a := range answers {
			t.Run(name+"/"+a.name, func(t *testing.T) {
				f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					if code := a.code(c.code); code != "" {
						w.Header().Set("x-ms-error-code", code)
					}
					w.WriteHeader(a.status)
				})
				got, err := c.call(context.Background(), hubOf(t, newTestClient(t, f, nil), "chat"))
				assert.Equal(t, a.want, got)
				if !a.wantErr {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				var re *azcore.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, a.status, re.StatusCode)
				if a.wrongHint {
					assert.Contains(t, err.Error(), "the endpoint or hub looks wrong")
				} else {
					assert.NotContains(t, err.Error(), "looks wrong")
				}
			})
		}
	}
}

// Removing what is not there reaches the requested state, so the service's "not found" answers
// are success; adding an unknown connection does not, so it stays an error.
func TestNotFoundTolerance(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		call    func(ctx context.Context, h *HubClient) error
		wantErr bool
	}{
		{"CloseConnection gone", "Warning.Connection.NotExisted", func(ctx context.Context, h *HubClient) error {
			_, err := h.CloseConnection(ctx, "c", nil)
			return err
		}, false},
		{"RemoveConnectionFromGroup not member", "Warning.Connection.NotExisted", func(ctx context.Context, h *HubClient) error {
			_, err := h.RemoveConnectionFromGroup(ctx, "g", "c", nil)
			return err
		}, false},
		{"RemoveUserFromGroup not in group", "Info.User.NotInGroup", func(ctx context.Context, h *HubClient) error {
			_, err := h.RemoveUserFromGroup(ctx, "g", "u", nil)
			return err
		}, false},
		{"RemoveUserFromAllGroups unknown user", "Warning.User.NotExisted", func(ctx context.Context, h *HubClient) error {
			_, err := h.RemoveUserFromAllGroups(ctx, "u", nil)
			return err
		}, false},
		{"AddConnectionToGroup unknown connection", "Error.Connection.NotExisted", func(ctx context.Context, h *HubClient) error {
			_, err := h.AddConnectionToGroup(ctx, "g", "c", nil)
			return err
		}, true},
		{"CloseConnection bare 404", "", func(ctx context.Context, h *HubClient) error {
			_, err := h.CloseConnection(ctx, "c", nil)
			return err
		}, true},
		{"SendToConnection 404", "Warning.Connection.NotExisted", func(ctx context.Context, h *HubClient) error {
			_, err := h.SendToConnection(ctx, "c", Message{Target: "t"}, nil)
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				if tt.code != "" {
					w.Header().Set("x-ms-error-code", tt.code)
				}
				w.WriteHeader(http.StatusNotFound)
			})
			err := tt.call(context.Background(), hubOf(t, newTestClient(t, f, nil), "chat"))
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			var re *azcore.ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, http.StatusNotFound, re.StatusCode)
			assert.Equal(t, tt.code, re.ErrorCode)
		})
	}
}

func TestFailuresAreResponseErrors(t *testing.T) {
	f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("x-ms-error-code", "Error.Request.Invalid")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":"Error.Request.Invalid","message":"bad target"}`))
	})
	_, err := hubOf(t, newTestClient(t, f, nil), "chat").SendToUser(context.Background(), "u", Message{Target: "t"}, nil)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusBadRequest, re.StatusCode)
	assert.Equal(t, "Error.Request.Invalid", re.ErrorCode)
	assert.Len(t, f.requests(), 1, "a 400 is not retried")
}

func TestInvalidArgumentsFailBeforeIO(t *testing.T) {
	f := newFakeService(t, nil)
	c := newTestClient(t, f, nil)
	h := hubOf(t, c, "chat")
	ctx := context.Background()
	m := Message{Target: "t"}
	longGroup := strings.Repeat("g", 1025)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"invalid hub", func() error { _, err := c.Hub("1chat"); return err }, "hub name"},
		{"empty hub", func() error { _, err := c.Hub(""); return err }, "hub name"},
		{"no target", func() error { _, err := h.SendToAll(ctx, Message{}, nil); return err }, "no target"},
		{"SendToUser empty user", func() error { _, err := h.SendToUser(ctx, "", m, nil); return err }, "user id is empty"},
		{"SendToGroup empty group", func() error { _, err := h.SendToGroup(ctx, "", m, nil); return err }, "group name is empty"},
		{"SendToGroup blank group", func() error { _, err := h.SendToGroup(ctx, "  \t", m, nil); return err }, "only whitespace"},
		{"SendToGroup long group", func() error { _, err := h.SendToGroup(ctx, longGroup, m, nil); return err }, "at most 1024"},
		{"SendToConnection empty", func() error { _, err := h.SendToConnection(ctx, "", m, nil); return err }, "connection id is empty"},
		{"SendToAll with user", func() error { _, err := h.SendToAll(ctx, Message{Target: "t", UserID: "bob"}, nil); return err }, `userId "bob"`},
		{"SendToAll with group", func() error { _, err := h.SendToAll(ctx, Message{Target: "t", GroupName: "g"}, nil); return err }, `groupName "g"`},
		{"SendToUser other user", func() error {
			_, err := h.SendToUser(ctx, "alice", Message{Target: "t", UserID: "bob"}, nil)
			return err
		}, "SendToUser sends elsewhere"},
		{"SendToUser with connection", func() error {
			_, err := h.SendToUser(ctx, "alice", Message{Target: "t", ConnectionID: "c"}, nil)
			return err
		}, `connectionId "c"`},
		{"SendToGroup other group", func() error { _, err := h.SendToGroup(ctx, "a", Message{Target: "t", GroupName: "b"}, nil); return err }, `groupName "b"`},
		{"InvokeConnection other connection", func() error {
			_, err := h.InvokeConnection(ctx, "a", Message{Target: "t", ConnectionID: "b"}, nil)
			return err
		}, `connectionId "b"`},
		{"AddConnectionToGroup empty connection", func() error { _, err := h.AddConnectionToGroup(ctx, "g", "", nil); return err }, "connection id is empty"},
		{"AddConnectionToGroup empty group", func() error { _, err := h.AddConnectionToGroup(ctx, "", "c", nil); return err }, "group name is empty"},
		{"RemoveConnectionFromGroup empty", func() error { _, err := h.RemoveConnectionFromGroup(ctx, "g", "", nil); return err }, "connection id is empty"},
		{"RemoveConnectionFromAllGroups empty", func() error { _, err := h.RemoveConnectionFromAllGroups(ctx, "", nil); return err }, "connection id is empty"},
		{"AddUserToGroup empty user", func() error { _, err := h.AddUserToGroup(ctx, "g", "", nil); return err }, "user id is empty"},
		{"AddUserToGroup negative TTL", func() error {
			_, err := h.AddUserToGroup(ctx, "g", "u", &AddUserToGroupOptions{TTL: -time.Second})
			return err
		}, "TTL -1s is negative"},
		{"RemoveUserFromGroup empty group", func() error { _, err := h.RemoveUserFromGroup(ctx, "", "u", nil); return err }, "group name is empty"},
		{"RemoveUserFromAllGroups empty", func() error { _, err := h.RemoveUserFromAllGroups(ctx, "", nil); return err }, "user id is empty"},
		{"UserInGroup empty user", func() error { _, err := h.UserInGroup(ctx, "g", "", nil); return err }, "user id is empty"},
		{"ConnectionExists empty", func() error { _, err := h.ConnectionExists(ctx, "", nil); return err }, "connection id is empty"},
		{"UserExists empty", func() error { _, err := h.UserExists(ctx, "", nil); return err }, "user id is empty"},
		{"GroupExists empty", func() error { _, err := h.GroupExists(ctx, "", nil); return err }, "group name is empty"},
		{"CloseConnection empty", func() error { _, err := h.CloseConnection(ctx, "", nil); return err }, "connection id is empty"},
		{"CloseGroupConnections empty", func() error { _, err := h.CloseGroupConnections(ctx, "", nil); return err }, "group name is empty"},
		{"CloseUserConnections empty", func() error { _, err := h.CloseUserConnections(ctx, "", nil); return err }, "user id is empty"},
		{"GenerateClientToken negative lifetime", func() error {
			_, err := h.GenerateClientToken(ctx, &GenerateClientTokenOptions{Lifetime: -time.Minute})
			return err
		}, "Lifetime -1m0s is negative"},
		{"InvokeConnection empty", func() error { _, err := h.InvokeConnection(ctx, "", m, nil); return err }, "connection id is empty"},
		{"list empty group", func() error {
			_, err := h.NewListGroupConnectionsPager("", nil).NextPage(ctx)
			return err
		}, "group name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "signalr: "), "error %q lacks the package prefix", err)
			var re *azcore.ResponseError
			assert.False(t, errors.As(err, &re))
		})
	}
	assert.Empty(t, f.requests(), "invalid arguments must not reach the service")
}

// A message whose routing fields agree with the method is accepted, so binding-shaped values can
// be passed straight through.
func TestSendAcceptsAgreeingRoute(t *testing.T) {
	f := newFakeService(t, nil)
	h := hubOf(t, newTestClient(t, f, nil), "chat")
	ctx := context.Background()
	_, err := h.SendToUser(ctx, "alice", Message{Target: "t", UserID: "alice", GroupName: "ignored"}, nil)
	require.NoError(t, err)
	_, err = h.SendToConnection(ctx, "c1", Message{Target: "t", ConnectionID: "c1", UserID: "ignored"}, nil)
	require.NoError(t, err)
	_, err = h.SendToGroup(ctx, "g", Message{Target: "t", GroupName: "g"}, nil)
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.NotContains(t, string(r.Body), "ignored", "routing fields never travel in the body")
		assert.NotContains(t, string(r.Body), "userId")
	}
}

func TestResponseBodyErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		call func(h *HubClient) error
		want string
	}{
		{"generateToken without token", `{"tok":"x"}`, func(h *HubClient) error {
			_, err := h.GenerateClientToken(context.Background(), nil)
			return err
		}, ":generateToken response"},
		{"generateToken not JSON", `<html>`, func(h *HubClient) error {
			_, err := h.GenerateClientToken(context.Background(), nil)
			return err
		}, ":generateToken response"},
		{"invoke not JSON", `nope`, func(h *HubClient) error {
			_, err := h.InvokeConnection(context.Background(), "c", Message{Target: "t"}, nil)
			return err
		}, ":invoke response"},
		{"list not JSON", `[1,2]`, func(h *HubClient) error {
			_, err := h.NewListGroupConnectionsPager("g", nil).NextPage(context.Background())
			return err
		}, "group connections page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				_, _ = w.Write([]byte(tt.body))
			})
			err := tt.call(hubOf(t, newTestClient(t, f, nil), "chat"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestGenerateClientTokenResponseRedacts(t *testing.T) {
	r := GenerateClientTokenResponse{Token: "secret.jwt.value"}
	for _, s := range []string{r.String(), fmt.Sprintf("%#v", r)} {
		assert.NotContains(t, s, "secret.jwt.value")
		assert.Contains(t, s, "REDACTED")
	}
}

// splitEndpoints takes the Endpoints field out of a response held in *v, leaving the rest to
// compare; ok is false for values without the field (the existence checks' bool).
func splitEndpoints(v *any) ([]EndpointResult, bool) {
	rv := reflect.ValueOf(*v)
	if rv.Kind() != reflect.Struct {
		return nil, false
	}
	cp := reflect.New(rv.Type()).Elem()
	cp.Set(rv)
	f := cp.FieldByName("Endpoints")
	if !f.IsValid() {
		return nil, false
	}
	res := f.Interface().([]EndpointResult)
	f.SetZero()
	*v = cp.Interface()
	return res, true
}

// Arguments that cannot be encoded are reported before any request, with the message named;
// with several endpoints the body is encoded once and each endpoint receives the same bytes.
func TestMessageEncodedOnceBeforeIO(t *testing.T) {
	f := newMultiFixture(t, []string{"east", "west"}, nil)
	h := f.hub(t)
	bad := Message{Target: "tick", Arguments: []any{make(chan int)}}
	for name, call := range map[string]func() error{
		"SendToAll":        func() error { _, err := h.SendToAll(context.Background(), bad, nil); return err },
		"SendToUser":       func() error { _, err := h.SendToUser(context.Background(), "u", bad, nil); return err },
		"SendToGroup":      func() error { _, err := h.SendToGroup(context.Background(), "g", bad, nil); return err },
		"SendToConnection": func() error { _, err := h.SendToConnection(context.Background(), "c", bad, nil); return err },
		"InvokeConnection": func() error { _, err := h.InvokeConnection(context.Background(), "c", bad, nil); return err },
		"Apply":            func() error { return h.Apply(context.Background(), bad) },
	} {
		err := call()
		require.ErrorContains(t, err, `signalr: the arguments of message "tick" cannot be encoded as JSON`, name)
		var ee *EndpointError
		assert.False(t, errors.As(err, &ee), "%s: a bad message is not an endpoint's failure", name)
	}
	assert.Equal(t, map[string]int{"east": 0, "west": 0}, f.counts())

	_, err := h.SendToAll(context.Background(), Message{Target: "tick", Arguments: []any{map[string]int{"n": 1}}}, nil)
	require.NoError(t, err)
	east, west := f.services["east"].last(t), f.services["west"].last(t)
	assert.Equal(t, `{"target":"tick","arguments":[{"n":1}]}`, string(east.Body))
	assert.Equal(t, east.Body, west.Body)
}
