package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

func TestCompletion(t *testing.T) {
	send := &Invocation{}
	_, err := send.Completion("x", nil)
	assert.ErrorContains(t, err, "only invoke() has an invocation id")

	// An Invocation built by hand (no protocol) answers in JSON.
	inv := &Invocation{InvocationID: "1"}
	b, err := inv.Completion(nil, errors.New("no"))
	require.NoError(t, err)
	assert.Equal(t, "{\"type\":3,\"invocationId\":\"1\",\"error\":\"no\"}\x1e", string(b))

	mp := &Invocation{InvocationID: "1", proto: hubproto.MessagePack, Protocol: "messagepack"}
	b, err = mp.Completion(map[string]int{"n": 1}, nil)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x0a, 0x95, 0x03, 0x80, 0xa1, '1', 0x03, 0x81, 0xa1, 'n', 0x01}, b)

	_, err = inv.Completion(make(chan int), nil)
	assert.ErrorContains(t, err, "trigger: encoding the result")
}

// An Invocation made from a host-delivered InvocationContext binds from its
// JSON arguments.
func TestInvocationFromContext(t *testing.T) {
	inv := &Invocation{InvocationContext: InvocationContext{Arguments: []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`2`)}}}
	var s string
	var n int
	require.NoError(t, inv.Bind(&s, &n))
	assert.Equal(t, "a", s)
	assert.Equal(t, 2, n)
}

func TestWriteResponse(t *testing.T) {
	tests := []struct {
		name   string
		inv    Invocation
		err    error
		status int
	}{
		{"connected ok", Invocation{InvocationContext: InvocationContext{Category: CategoryConnections, Event: EventConnected}}, nil, 200},
		{"connected failed", Invocation{InvocationContext: InvocationContext{Category: CategoryConnections, Event: EventConnected}}, errors.New("x"), 403},
		{"disconnected failed", Invocation{InvocationContext: InvocationContext{Category: CategoryConnections, Event: EventDisconnected}}, errors.New("x"), 200},
		{"send ok", Invocation{InvocationContext: InvocationContext{Category: CategoryMessages}}, nil, 200},
		{"send failed", Invocation{InvocationContext: InvocationContext{Category: CategoryMessages}}, errors.New("x"), 200},
		{"invoke by hand", Invocation{InvocationContext: InvocationContext{Category: CategoryMessages}, InvocationID: "1"}, nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			require.NoError(t, tt.inv.WriteResponse(w, nil, tt.err))
			assert.Equal(t, tt.status, w.Code)
		})
	}
}

func TestRouterDispatch(t *testing.T) {
	r := mustRouter(t, &RouterOptions{ParseOptions: ParseOptions{InsecureSkipSignature: true}})
	require.NoError(t, r.OnMessage("chat", "add", func(_ context.Context, inv *Invocation, a, b int) (int, error) { return a + b, nil }))
	require.NoError(t, r.OnConnected("chat", func(ctx context.Context, inv *Invocation) error {
		got, ok := FromContext(ctx)
		if !ok || got != inv {
			return errors.New("no invocation in context")
		}
		return nil
	}))
	// As a Functions host delivers it: PascalCase JSON.
	var c InvocationContext
	require.NoError(t, json.Unmarshal([]byte(`{"Arguments":[2,3],"Category":"messages","Event":"Add","Hub":"Chat","ConnectionId":"c"}`), &c))
	res, err := r.Dispatch(t.Context(), &Invocation{InvocationContext: c})
	require.NoError(t, err)
	assert.Equal(t, 5, res)

	_, err = r.Dispatch(t.Context(), &Invocation{InvocationContext: InvocationContext{Category: "connections", Event: "connected", Hub: "chat"}})
	require.NoError(t, err)

	_, err = r.Dispatch(t.Context(), &Invocation{InvocationContext: InvocationContext{Category: "messages", Event: "nope", Hub: "chat"}})
	assert.ErrorIs(t, err, ErrNoHandler)
	_, err = r.Dispatch(t.Context(), &Invocation{InvocationContext: InvocationContext{Category: "other", Event: "add", Hub: "chat"}})
	assert.ErrorIs(t, err, ErrNoHandler)
	assert.ErrorIs(t, err, ErrNotSignalRRequest)

	_, err = r.Dispatch(t.Context(), &Invocation{InvocationContext: InvocationContext{Arguments: []json.RawMessage{json.RawMessage(`"x"`)}, Category: "messages", Event: "add", Hub: "chat"}})
	var ae *ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, -1, ae.Index)
}
