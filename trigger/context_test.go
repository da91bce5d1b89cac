package trigger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Functions host sends the InvocationContext as a PascalCase object with
// nulls included; decoding and re-encoding gives the same JSON.
func TestInvocationContextHostShape(t *testing.T) {
	tests := []struct {
		file string
		want InvocationContext
	}{
		{"host_context_message.json", InvocationContext{
			Arguments: []json.RawMessage{json.RawMessage(`"hello"`), json.RawMessage("{\n      \"text\": \"hi\",\n      \"n\": 2\n    }")},
			Category:  "messages", Event: "broadcast", Hub: "chat", ConnectionID: "vLt9eM0UxaIEz3Y3wNqZ2Q", UserID: "alice",
			Query:  map[string]string{"hub": "chat"},
			Claims: map[string]string{"asrs.s.uid": "alice", "role": "admin"},
		}},
		{"host_context_disconnected.json", InvocationContext{
			Error: "Connection closed with an error.", Category: "connections", Event: "disconnected", Hub: "chat",
			ConnectionID: "c1", Headers: map[string]string{"X-ASRS-Connection-Id": "c1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			var got InvocationContext
			require.NoError(t, json.Unmarshal(raw, &got))
			if tt.want.Headers == nil {
				assert.Len(t, got.Headers, 7)
				assert.Empty(t, got.Header("Content-Type"), "content headers are not request headers")
				got.Headers = nil
			}
			assert.Equal(t, tt.want, got)

			require.NoError(t, json.Unmarshal(raw, &got))
			back, err := json.Marshal(got)
			require.NoError(t, err)
			assert.JSONEq(t, string(raw), string(back))
		})
	}
}

func TestInvocationContextMarshalOrderAndNulls(t *testing.T) {
	b, err := json.Marshal(InvocationContext{Category: "connections", Event: "connected", Hub: "h", ConnectionID: "c"})
	require.NoError(t, err)
	assert.Equal(t, `{"Arguments":null,"Error":null,"Category":"connections","Event":"connected","Hub":"h","ConnectionId":"c","UserId":null,"Headers":null,"Query":null,"Claims":null}`, string(b))
	// Through a pointer too.
	b2, err := json.Marshal(&InvocationContext{Category: "connections", Event: "connected", Hub: "h", ConnectionID: "c"})
	require.NoError(t, err)
	assert.Equal(t, string(b), string(b2))
}

func TestInvocationContextBind(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "host_context_message.json"))
	require.NoError(t, err)
	var c InvocationContext
	require.NoError(t, json.Unmarshal(raw, &c))

	var s string
	var msg struct {
		Text string `json:"text"`
		N    int    `json:"n"`
	}
	require.NoError(t, c.Bind(&s, &msg))
	assert.Equal(t, "hello", s)
	assert.Equal(t, "hi", msg.Text)
	assert.Equal(t, 2, msg.N)
	require.NoError(t, c.Bind(nil, &msg), "nil skips an argument")

	var n int
	err = c.Bind(&n, nil)
	var ae *ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 0, ae.Index)
	var typeErr *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &typeErr, "the decoding error is unwrapped")
	assert.Regexp(t, `^trigger: argument 0: cannot decode into \*int: json: `, err.Error())

	err = c.Bind(&s)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, -1, ae.Index)
	assert.EqualError(t, err, "trigger: the client sent 2 arguments, want 1")
}

func TestInvocationContextHeader(t *testing.T) {
	c := InvocationContext{Headers: map[string]string{"X-ASRS-User-Id": "u", "X-Asrs-Hub": "chat"}}
	assert.Equal(t, "u", c.Header("X-ASRS-User-Id"))
	assert.Equal(t, "u", c.Header("x-asrs-user-id"))
	assert.Equal(t, "chat", c.Header("X-ASRS-Hub"))
	assert.Equal(t, "", c.Header("X-ASRS-Event"))
}
