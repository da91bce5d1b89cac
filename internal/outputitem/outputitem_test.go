package outputitem

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// The cases follow the extension's SignalROutputConverter and the custom-handler protocol notes
// §8.4 (azure-sdk-for-net sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService
// SignalROutputConverter.cs): since 1.9.0 only target is required for a message.
func TestParse(t *testing.T) {
	east := signalr.EndpointRef{EndpointType: signalr.EndpointTypePrimary, Name: "east", Endpoint: "https://east.service.signalr.net:443", Online: true}
	tests := []struct {
		name string
		in   string
		want signalr.Action
	}{
		{"target only", `{"target":"x"}`, signalr.Message{Target: "x"}},
		{"null arguments", `{"target":"x","arguments":null}`, signalr.Message{Target: "x"}},
		{"empty arguments", `{"target":"x","arguments":[]}`, signalr.Message{Target: "x"}},
		{"arguments kept as JSON", `{"target":"x","arguments":["a",{"b":1},null]}`, signalr.Message{Target: "x", Arguments: []any{raw(`"a"`), raw(`{"b":1}`), raw(`null`)}}},
		{"names without case", `{"TARGET":"x","UserId":"u","groupNAME":"g","connectionid":"c"}`, signalr.Message{Target: "x", UserID: "u", GroupName: "g", ConnectionID: "c"}},
		{"number target read as its text", `{"target":5}`, signalr.Message{Target: "5"}},
		{"boolean user read as its text", `{"target":"x","userId":true}`, signalr.Message{Target: "x", UserID: "true"}},
		{"endpoints", `{"target":"x","endpoints":[{"endpointType":"Primary","name":"east","endpoint":"https://east.service.signalr.net:443","online":true}]}`,
			signalr.Message{Target: "x", Endpoints: []signalr.EndpointRef{east}}},
		{"both keys: a message first", `{"Target":"t","action":"add"}`, signalr.Message{Target: "t"}},
		{"message shape fails, action decides", `{"target":"t","arguments":{},"action":"add","groupName":"g","userId":"u"}`,
			signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g", UserID: "u"}},
		{"null target, action decides", `{"target":null,"action":"remove","groupName":"g","connectionId":"c"}`,
			signalr.GroupAction{Action: signalr.GroupActionRemove, GroupName: "g", ConnectionID: "c"}},
		{"action casing", `{"action":"RemoveAll","userId":"u"}`, signalr.GroupAction{Action: signalr.GroupActionRemoveAll, UserID: "u"}},
		{"action without ids still converts", `{"action":"add","groupName":"g"}`, signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g"}},
		{"later duplicate wins", `{"target":"a","Target":"b"}`, signalr.Message{Target: "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not JSON", `{`, "not a JSON object"},
		{"array", `[{"target":"t"}]`, "not a JSON object"},
		{"string", `"target"`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"empty", ``, "not a JSON object"},
		{"neither", `{"method":"t"}`, ErrNotConvertible.Error()},
		{"arguments not an array", `{"target":"t","arguments":"x"}`, ErrNotConvertible.Error()},
		{"arguments an object", `{"target":"t","arguments":{}}`, ErrNotConvertible.Error()},
		{"target an object", `{"target":{}}`, ErrNotConvertible.Error()},
		{"unknown action", `{"action":"join","groupName":"g","userId":"u"}`, ErrNotConvertible.Error()},
		{"action a number", `{"action":1,"groupName":"g","userId":"u"}`, ErrNotConvertible.Error()},
		{"group name an array", `{"action":"add","groupName":["g"],"userId":"u"}`, ErrNotConvertible.Error()},
		{"endpoints not a list", `{"target":"t","endpoints":{"name":"a"}}`, ErrNotConvertible.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// The golden items read the same through Parse as through signalr's own JSON decoding.
func TestParseGoldenItems(t *testing.T) {
	for _, name := range []string{"message.json", "message-pascal.json", "groupaction.json", "groupaction-isolated.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			got, err := Parse(data)
			require.NoError(t, err)
			var want signalr.Action
			if strings.HasPrefix(name, "message") {
				var m signalr.Message
				require.NoError(t, json.Unmarshal(data, &m))
				want = m
			} else {
				var a signalr.GroupAction
				require.NoError(t, json.Unmarshal(data, &a))
				want = a
			}
			wantJSON, err := json.Marshal(want)
			require.NoError(t, err)
			gotJSON, err := json.Marshal(got)
			require.NoError(t, err)
			assert.JSONEq(t, string(wantJSON), string(gotJSON))
		})
	}
}

func TestCheck(t *testing.T) {
	msg := signalr.Message{Target: "t"}
	add := signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g", ConnectionID: "c"}
	var nilMsg *signalr.Message
	tests := []struct {
		name string
		in   signalr.Action
		want signalr.Action
		err  string
	}{
		{"message", msg, msg, ""},
		{"pointer to a message", &msg, msg, ""},
		{"group action", add, add, ""},
		{"pointer to a group action", &add, add, ""},
		{"nil", nil, nil, "item is nil"},
		{"nil pointer", nilMsg, nil, "item is nil"},
		{"no target", signalr.Message{}, nil, "no target"},
		{"no ids", signalr.GroupAction{Action: signalr.GroupActionAdd, GroupName: "g"}, nil, "neither connectionId nor userId"},
		{"dot segment", signalr.Message{Target: "t", UserID: ".."}, nil, "dot segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.in)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSkippedByExtension(t *testing.T) {
	var nilAction *signalr.GroupAction
	tests := []struct {
		name string
		in   signalr.Action
		want bool
	}{
		{"removeAll of a connection", signalr.GroupAction{Action: signalr.GroupActionRemoveAll, ConnectionID: "c"}, true},
		{"pointer", &signalr.GroupAction{Action: signalr.GroupActionRemoveAll, ConnectionID: "c"}, true},
		{"removeAll of a user", signalr.GroupAction{Action: signalr.GroupActionRemoveAll, UserID: "u"}, false},
		{"remove of a connection", signalr.GroupAction{Action: signalr.GroupActionRemove, GroupName: "g", ConnectionID: "c"}, false},
		{"message", signalr.Message{Target: "t", ConnectionID: "c"}, false},
		{"nil pointer", nilAction, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SkippedByExtension(tt.in))
		})
	}
}

// FuzzParse checks that no input panics, and that an item Parse accepts, written back as JSON,
// parses to the same item.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"message.json", "message-pascal.json", "groupaction.json", "groupaction-isolated.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{`{"target":"t","arguments":null}`, `{"action":"ADD","groupName":"g","connectionId":"c"}`,
		`{"Target":"t","action":"add"}`, `[]`, `{"target":5,"userId":false}`, `{"target":"t","arguments":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			require.Nil(t, a)
			return
		}
		_, _ = Check(a)
		out, err := json.Marshal(a)
		require.NoError(t, err)
		again, err := Parse(out)
		require.NoError(t, err, "%s", out)
		outAgain, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(out), string(outAgain))
	})
}
