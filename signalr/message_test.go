package signalr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutputBindingGoldenFiles(t *testing.T) {
	east := EndpointRef{EndpointType: EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net:443", Online: true}
	tests := []struct {
		file      string
		want      Action
		reencoded string // "" when the file is already in canonical form
	}{
		{"message.json", Message{
			Target: "newMessage", Arguments: []any{map[string]any{"sender": "alice", "text": "hi"}, float64(42), nil},
			UserID: "alice", GroupName: "room1", ConnectionID: "c-1", Endpoints: []EndpointRef{east},
		}, ""},
		{"message-pascal.json", Message{
			Target: "newMessage", Arguments: []any{"hi"}, UserID: "alice", GroupName: "room1", ConnectionID: "c-1",
			Endpoints: []EndpointRef{{EndpointType: EndpointTypeSecondary, Name: "west", Endpoint: "https://west.service.signalr.net:443"}},
		}, `{"target":"newMessage","arguments":["hi"],"userId":"alice","groupName":"room1","connectionId":"c-1","endpoints":[{"endpointType":"Secondary","name":"west","endpoint":"https://west.service.signalr.net:443"}]}`},
		{"groupaction.json", GroupAction{
			Action: GroupActionRemoveAll, UserID: "alice", GroupName: "room1", ConnectionID: "c-1", Endpoints: []EndpointRef{east},
		}, ""},
		{"groupaction-isolated.json", GroupAction{
			Action: GroupActionRemoveAll, UserID: "alice", GroupName: "room1", ConnectionID: "c-1",
		}, `{"action":"removeAll","userId":"alice","groupName":"room1","connectionId":"c-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "output", tt.file))
			require.NoError(t, err)
			got, err := parseAction(data)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			out, err := json.Marshal(got)
			require.NoError(t, err)
			want := tt.reencoded
			if want == "" {
				want = strings.TrimSpace(string(data))
			}
			assert.Equal(t, want, string(out))
		})
	}
}

func TestMessageJSON(t *testing.T) {
	out, err := json.Marshal(Message{Target: "t"})
	require.NoError(t, err)
	assert.Equal(t, `{"target":"t","arguments":[]}`, string(out), "nil arguments are an empty list, optional fields are omitted")

	out, err = json.Marshal(&Message{Target: "t", Arguments: []any{}})
	require.NoError(t, err)
	assert.Equal(t, `{"target":"t","arguments":[]}`, string(out))

	var m Message
	require.NoError(t, json.Unmarshal([]byte(`{"TARGET":"t","uSeRiD":"u"}`), &m))
	assert.Equal(t, Message{Target: "t", UserID: "u"}, m)

	err = json.Unmarshal([]byte(`{"target":5}`), &m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signalr: decoding message")
}

func TestGroupActionJSON(t *testing.T) {
	for _, in := range []string{"add", "Add", "ADD"} {
		var a GroupAction
		require.NoError(t, json.Unmarshal([]byte(`{"action":"`+in+`","groupName":"g","userId":"u"}`), &a))
		assert.Equal(t, GroupActionAdd, a.Action)
	}
	var a GroupAction
	require.NoError(t, json.Unmarshal([]byte(`{"action":"promote","groupName":"g","userId":"u"}`), &a))
	assert.Equal(t, GroupActionType("promote"), a.Action, "unknown actions are kept for Validate to report")
	require.Error(t, a.Validate())

	err := json.Unmarshal([]byte(`{"action":1}`), &a)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "signalr: decoding group action")

	assert.Equal(t, []GroupActionType{"add", "remove", "removeAll"}, PossibleGroupActionTypeValues())
	assert.Equal(t, []EndpointType{"Primary", "Secondary"}, PossibleEndpointTypeValues())
}

func TestParseActionErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not JSON", `{`, "not a JSON object"},
		{"array", `[{"target":"t"}]`, "not a JSON object"},
		{"string", `"target"`, "not a JSON object"},
		{"neither", `{"method":"t"}`, "neither target nor action"},
		{"bad message", `{"target":"t","arguments":{}}`, "decoding message"},
		{"bad group action", `{"action":"add","groupName":7}`, "decoding group action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseAction([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// An object with both keys is a message, as the extension tries the message shape first.
	a, err := parseAction([]byte(`{"Target":"t","action":"add"}`))
	require.NoError(t, err)
	assert.IsType(t, Message{}, a)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		a    Action
		want string // "" for valid
	}{
		{"message", Message{Target: "t"}, ""},
		{"message without target", Message{Arguments: []any{1}}, "no target"},
		{"message to a blank group", Message{Target: "t", GroupName: " "}, "only whitespace"},
		{"blank group ignored when a user decides", Message{Target: "t", UserID: "u", GroupName: " "}, ""},
		{"add connection", GroupAction{Action: GroupActionAdd, GroupName: "g", ConnectionID: "c"}, ""},
		{"remove user", GroupAction{Action: GroupActionRemove, GroupName: "g", UserID: "u"}, ""},
		{"removeAll connection", GroupAction{Action: GroupActionRemoveAll, ConnectionID: "c"}, ""},
		{"removeAll user", GroupAction{Action: GroupActionRemoveAll, UserID: "u"}, ""},
		{"no action", GroupAction{GroupName: "g", UserID: "u"}, "has no action"},
		{"unknown action", GroupAction{Action: "promote", GroupName: "g", UserID: "u"}, `"promote" is not supported`},
		{"add without group", GroupAction{Action: GroupActionAdd, UserID: "u"}, "has no groupName"},
		{"add to a long group", GroupAction{Action: GroupActionAdd, UserID: "u", GroupName: strings.Repeat("g", 1025)}, "at most 1024"},
		{"neither id", GroupAction{Action: GroupActionAdd, GroupName: "g"}, "neither connectionId nor userId"},
		{"removeAll neither id", GroupAction{Action: GroupActionRemoveAll}, "neither connectionId nor userId"},
		{"message to user ..", Message{Target: "t", UserID: ".."}, `user id ".." contains a dot segment`},
		{"message to connection .", Message{Target: "t", ConnectionID: "."}, `connection id "." contains a dot segment`},
		{"message to group ../x", Message{Target: "t", GroupName: "../x"}, `group name "../x" contains a dot segment`},
		{"dot user ignored when a connection decides", Message{Target: "t", ConnectionID: "c", UserID: ".."}, ""},
		{"message to user ...", Message{Target: "t", UserID: "..."}, ""},
		{"add user ..", GroupAction{Action: GroupActionAdd, GroupName: "g", UserID: ".."}, `user id ".." contains a dot segment`},
		{"removeAll connection ..", GroupAction{Action: GroupActionRemoveAll, ConnectionID: ".."}, `connection id ".." contains a dot segment`},
		{"add to group .", GroupAction{Action: GroupActionAdd, GroupName: ".", ConnectionID: "c"}, `group name "." contains a dot segment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// FuzzParseAction checks that no input panics and that a decoded action re-encodes to JSON that
// decodes to the same value.
func FuzzParseAction(f *testing.F) {
	for _, name := range []string{"message.json", "message-pascal.json", "groupaction.json", "groupaction-isolated.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "output", name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"target":"t","arguments":null}`))
	f.Add([]byte(`{"action":"ADD","groupName":"g","connectionId":"c"}`))
	f.Add([]byte(`{"Target":"t","action":"add"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseAction(data)
		if err != nil {
			require.Nil(t, a)
			return
		}
		_ = a.Validate()
		out, err := json.Marshal(a)
		require.NoError(t, err)
		again, err := parseAction(out)
		require.NoError(t, err)
		outAgain, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(out), string(outAgain))
	})
}
