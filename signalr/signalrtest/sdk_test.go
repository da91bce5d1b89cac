package signalrtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// TestServiceClient drives every hub operation of the signalr package against
// the emulator, with a secondary key configured, and checks the effect.
func TestServiceClient(t *testing.T) {
	s := newTestServer(t, &Options{SecondaryAccessKey: secondKey})
	client, err := signalr.NewClientFromConnectionString(s.ConnectionString(), nil)
	require.NoError(t, err)
	hub, err := client.Hub("chat")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	a := connectWS(t, s, "chat", "alice", hubproto.JSON)
	b := connectWS(t, s, "chat", "bob", hubproto.MessagePack)
	eventually(t, "connected", func() bool { return len(s.Connections("chat")) == 2 })

	_, err = hub.SendToAll(ctx, signalr.Message{Target: "all", Arguments: []any{"x"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "all", a.read(false).Target)
	assert.Equal(t, "all", b.read(false).Target)

	_, err = hub.SendToUser(ctx, "bob", signalr.Message{Target: "toBob"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "toBob", b.read(false).Target)

	_, err = hub.AddConnectionToGroup(ctx, "g", a.id, nil)
	require.NoError(t, err)
	ok, err := hub.GroupExists(ctx, "g", nil)
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = hub.SendToGroup(ctx, "g", signalr.Message{Target: "toG"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "toG", a.read(false).Target)

	_, err = hub.AddUserToGroup(ctx, "vip", "bob", &signalr.AddUserToGroupOptions{TTL: time.Minute})
	require.NoError(t, err)
	ok, err = hub.UserInGroup(ctx, "vip", "bob", nil)
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = hub.RemoveUserFromGroup(ctx, "vip", "bob", nil)
	require.NoError(t, err)
	ok, err = hub.UserInGroup(ctx, "vip", "bob", nil)
	require.NoError(t, err)
	assert.False(t, ok)

	ok, err = hub.UserExists(ctx, "alice", nil)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = hub.UserExists(ctx, "nobody", nil)
	require.NoError(t, err)
	assert.False(t, ok)
	ok, err = hub.ConnectionExists(ctx, b.id, nil)
	require.NoError(t, err)
	assert.True(t, ok)

	pager := hub.NewListGroupConnectionsPager("g", nil)
	var members []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		require.NoError(t, err)
		for _, m := range page.Value {
			members = append(members, m.ConnectionID)
		}
	}
	assert.Equal(t, []string{a.id}, members)

	tok, err := hub.GenerateClientToken(ctx, &signalr.GenerateClientTokenOptions{UserID: "zed", Lifetime: time.Minute})
	require.NoError(t, err)
	status, _, _ := negotiate(t, s, "hub=chat&negotiateVersion=1", tok.Token)
	assert.Equal(t, http.StatusOK, status)

	done := make(chan error, 1)
	var res signalr.InvokeConnectionResponse
	go func() {
		var err error
		res, err = hub.InvokeConnection(ctx, b.id, signalr.Message{Target: "ask"}, nil)
		done <- err
	}()
	inv := b.read(false)
	b.send(&hubproto.Message{Type: hubproto.TypeCompletion, InvocationID: inv.InvocationID, Result: hubproto.JSONValue([]byte(`"answer"`)), HasResult: true})
	require.NoError(t, <-done)
	assert.JSONEq(t, `"answer"`, string(res.Result))

	_, err = hub.RemoveConnectionFromGroup(ctx, "g", a.id, nil)
	require.NoError(t, err)
	assert.Empty(t, s.GroupMembers("chat", "g"))

	_, err = hub.CloseConnection(ctx, a.id, &signalr.CloseConnectionOptions{Reason: "done"})
	require.NoError(t, err)
	assert.Equal(t, "done", a.readType(hubproto.TypeClose).Error)
	_, err = hub.CloseAllConnections(ctx, nil)
	require.NoError(t, err)
	b.readType(hubproto.TypeClose)
	eventually(t, "all closed", func() bool { return len(s.Connections("chat")) == 0 })

	// The only failures are the two negative existence checks, with their codes.
	var failed []string
	for _, call := range s.RESTCalls() {
		if call.Status >= 300 {
			failed = append(failed, call.Method+" "+call.Path+" "+call.ErrorCode)
		}
	}
	assert.Equal(t, []string{
		"HEAD /api/hubs/chat/users/bob/groups/vip " + codeUserNotInGroup,
		"HEAD /api/hubs/chat/users/nobody " + codeUserNotExisted,
	}, failed)
}
