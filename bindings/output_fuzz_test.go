package bindings

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/internal/outputitem"
)

// FuzzSignalROutputRoundTrip holds the encoder of signalR outputs to the one classifier: any
// item the classifier reads and the validator accepts, once SignalR stores it and the response
// encoder writes it, is read back by the classifier (as the fake host and the extension read
// it) as the same item.
func FuzzSignalROutputRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{"target":"x"}`,
		`{"target":"newMessage","arguments":["hi",{"n":1},null],"userId":"alice"}`,
		`{"Target":"t","GroupName":"g","Endpoints":[{"name":"east","endpoint":"https://e"}]}`,
		`{"action":"Add","groupName":"g","connectionId":"c"}`,
		`{"action":"removeAll","userId":"u"}`,
		`{"target":5,"connectionId":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		item, err := outputitem.Parse(data)
		if err != nil {
			return
		}
		if _, err := outputitem.Check(item); err != nil {
			return
		}
		var r invokeResponse
		if err := r.signalR("out", item); err != nil {
			require.True(t, outputitem.SkippedByExtension(item), "only a removeAll for a connection is refused: %v", err)
			return
		}
		b, err := r.appendJSON(nil)
		require.NoError(t, err)
		var body struct {
			Outputs struct {
				Out []json.RawMessage `json:"out"`
			}
		}
		require.NoError(t, json.Unmarshal(b, &body))
		require.Len(t, body.Outputs.Out, 1)
		again, err := outputitem.Parse(body.Outputs.Out[0])
		require.NoError(t, err, "%s", body.Outputs.Out[0])
		want, err := json.Marshal(item)
		require.NoError(t, err)
		got, err := json.Marshal(again)
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(got))
	})
}
