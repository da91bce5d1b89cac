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
			// The output-binding classifier (internal/outputitem) reads these as well; here the
			// types' own JSON decoding.
			var got Action
			if strings.HasPrefix(tt.file, "message") {
				var m Message
				require.NoError(t, json.Unmarshal(data, &m))
				got = m
			} else {
				var a GroupAction
				require.NoError(t, json.Unmarshal(data, &a))
				got = a
			}
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
