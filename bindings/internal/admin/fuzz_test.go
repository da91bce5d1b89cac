package admin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzParseBody(f *testing.F) {
	for _, seed := range []string{`{"input":"x"}`, `{}`, `{"Input":1e3}`, `{"input":null,"input":"y"}`, `{"input":{}}`, `[`, `null`, ``, `{"input":"\ud800"}`, `{"a":[{"b":1}],"input":true} `} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		input, err := ParseBody(body)
		if err != nil {
			require.Empty(t, input)
			require.Less(t, len(err.Error()), 300, "errors describe the body, they do not repeat it")
			return
		}
		// A body that parses is a JSON object; a string input equals what encoding/json reads.
		require.True(t, json.Valid(body))
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		for k, v := range m {
			if s, ok := v.(string); ok && k == "input" && strings.Count(strings.ToLower(string(body)), `"input"`) == 1 {
				require.Equal(t, s, input)
			}
		}
	})
}
