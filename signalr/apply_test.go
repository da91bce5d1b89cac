package signalr

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestApplyRouting(t *testing.T) {
	type hit struct{ method, path, body string }
	tests := []struct {
		name string
		item Action
		want hit
	}{
		{"message to connection beats user and group",
			Message{Target: "t", ConnectionID: "c1", UserID: "u1", GroupName: "g1"},
			hit{"POST", "/api/hubs/chat/connections/c1/:send", `{"target":"t","arguments":[]}`}},
		{"message to user beats group",
			Message{Target: "t", Arguments: []any{1}, UserID: "u1", GroupName: "g1"},
			hit{"POST", "/api/hubs/chat/users/u1/:send", `{"target":"t","arguments":[1]}`}},
		{"message to group",
			&Message{Target: "t", GroupName: "g1"},
			hit{"POST", "/api/hubs/chat/groups/g1/:send", `{"target":"t","arguments":[]}`}},
		{"message to everyone",
			Message{Target: "t"},
			hit{"POST", "/api/hubs/chat/:send", `{"target":"t","arguments":[]}`}},
		{"add connection beats user",
			GroupAction{Action: GroupActionAdd, GroupName: "g1", ConnectionID: "c1", UserID: "u1"},
			hit{"PUT", "/api/hubs/chat/groups/g1/connections/c1", ""}},
		{"remove connection",
			&GroupAction{Action: GroupActionRemove, GroupName: "g1", ConnectionID: "c1"},
			hit{"DELETE", "/api/hubs/chat/groups/g1/connections/c1", ""}},
		{"removeAll connection is carried out",
			GroupAction{Action: GroupActionRemoveAll, ConnectionID: "c1"},
			hit{"DELETE", "/api/hubs/chat/connections/c1/groups", ""}},
		{"add user",
			GroupAction{Action: GroupActionAdd, GroupName: "g1", UserID: "u1"},
			hit{"PUT", "/api/hubs/chat/users/u1/groups/g1", ""}},
		{"remove user",
			GroupAction{Action: GroupActionRemove, GroupName: "g1", UserID: "u1"},
			hit{"DELETE", "/api/hubs/chat/users/u1/groups/g1", ""}},
		{"removeAll user",
			GroupAction{Action: GroupActionRemoveAll, UserID: "u1", GroupName: "ignored"},
			hit{"DELETE", "/api/hubs/chat/users/u1/groups", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, nil)
			require.NoError(t, hubOf(t, newTestClient(t, f, nil), "chat").Apply(context.Background(), tt.item))
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, hit{reqs[0].Method, reqs[0].Path, string(reqs[0].Body)})
			assert.NotContains(t, reqs[0].Query, "ttl", "the binding has no TTL")
			verifyToken(t, f, reqs[0], testKey)
		})
	}
}

func TestApplyKeepsOrder(t *testing.T) {
	f := newFakeService(t, nil)
	err := hubOf(t, newTestClient(t, f, nil), "chat").Apply(context.Background(),
		GroupAction{Action: GroupActionAdd, GroupName: "g", ConnectionID: "c"},
		Message{Target: "joined", GroupName: "g"},
		GroupAction{Action: GroupActionRemove, GroupName: "g", ConnectionID: "c"},
	)
	require.NoError(t, err)
	var got []string
	for _, r := range f.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	assert.Equal(t, []string{
		"PUT /api/hubs/chat/groups/g/connections/c",
		"POST /api/hubs/chat/groups/g/:send",
		"DELETE /api/hubs/chat/groups/g/connections/c",
	}, got)
}

func TestApplyValidatesEverythingFirst(t *testing.T) {
	var nilMessage *Message
	var nilAction *GroupAction
	tests := []struct {
		name  string
		items []Action
		want  string
	}{
		{"message without target", []Action{Message{Target: "ok"}, Message{}}, "output item 1: signalr: message has no target"},
		{"group action without ids", []Action{GroupAction{Action: GroupActionAdd, GroupName: "g"}}, "output item 0: signalr: group action \"add\" has neither connectionId nor userId"},
		{"nil item", []Action{Message{Target: "ok"}, nil}, "output item 1: signalr: output item is nil"},
		{"nil message pointer", []Action{nilMessage}, "output item is nil"},
		{"nil group action pointer", []Action{nilAction}, "output item is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, nil)
			err := hubOf(t, newTestClient(t, f, nil), "chat").Apply(context.Background(), tt.items...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, f.requests(), "nothing is sent when any item is invalid")
		})
	}
}

func TestApplyStopsAtFirstFailure(t *testing.T) {
	f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 2 {
			w.Header().Set("x-ms-error-code", "Error.Connection.NotExisted")
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	err := hubOf(t, newTestClient(t, f, nil), "chat").Apply(context.Background(),
		Message{Target: "a"},
		GroupAction{Action: GroupActionAdd, GroupName: "g", ConnectionID: "gone"},
		Message{Target: "b"},
	)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "output item 1 (1 applied before it)")
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "Error.Connection.NotExisted", re.ErrorCode)
	assert.Len(t, f.requests(), 2)
}

func TestApplyNothing(t *testing.T) {
	f := newFakeService(t, nil)
	require.NoError(t, hubOf(t, newTestClient(t, f, nil), "chat").Apply(context.Background()))
	assert.Empty(t, f.requests())
}
