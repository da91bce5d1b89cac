package signalrtest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Property names match case-insensitively, so a body naming a property twice in different
// cases used to send whichever spelling the map iteration met last. It is now a 400 naming
// both spellings, the same on every try.
func TestPayloadDuplicatePropertiesAreRefused(t *testing.T) {
	s := newTestServer(t, nil)
	cases := []struct {
		name, path, body string
		status           int
		reason           string
	}{
		{"Target and target", "/api/hubs/chat/:send", `{"Target":"a","target":"b","arguments":[]}`, 400, `duplicate property "target": both "Target" and "target" are present`},
		{"target twice", "/api/hubs/chat/:send", `{"target":"a","target":"b"}`, 400, `duplicate property "target"; expected each property once`},
		{"Arguments and arguments", "/api/hubs/chat/users/u/:send", `{"target":"a","Arguments":[1],"arguments":[2]}`, 400, `duplicate property "arguments": both "Arguments" and "arguments"`},
		{"one property in any case", "/api/hubs/chat/:send", `{"TARGET":"a","ArGuMeNtS":[1]}`, 202, ""},
		{"unknown properties may repeat", "/api/hubs/chat/:send", `{"target":"a","x":1,"X":2}`, 202, ""},
		{"trailing data", "/api/hubs/chat/:send", `{"target":"a"} {}`, 400, "invalid payload"},
		{"invoke", "/api/hubs/chat/connections/c/:invoke", `{"target":"a","Target":"b"}`, 400, `both "target" and "Target"`},
		{"execute command", "/api/hubs/chat/:execute", `[{"type":"JoinGroup","group":"a","Group":"b"}]`, 400, `command 0: duplicate property "group": both "group" and "Group"`},
		{"execute type", "/api/hubs/chat/:execute", `[{"Type":"JoinGroup","type":"LeaveGroup","group":"a"}]`, 400, `duplicate property "type"`},
		{"execute message", "/api/hubs/chat/:execute", `[{"type":"SendMessage","message":{"target":"a","TARGET":"b"}}]`, 400, `command 0: signalrtest: invalid payload: duplicate property "target"`},
		{"execute item not an object", "/api/hubs/chat/:execute", `[1]`, 400, "command 0 is not an object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // map iteration order varies between tries; the answer must not
				res := restWithToken(t, s, http.MethodPost, tc.path, tc.body, restToken(t, s, tc.path), "application/json")
				require.Equal(t, tc.status, res.status, string(res.body))
				if tc.reason != "" {
					var e struct{ Code, Message string }
					require.NoError(t, json.Unmarshal(res.body, &e))
					assert.Equal(t, codeInvalidRequest, e.Code)
					assert.Contains(t, e.Message, tc.reason)
				}
			}
		})
	}
}
