package hubproto

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkEnvelope holds decodeJSONEnvelope to encoding/json's behaviour.
func checkEnvelope(t *testing.T, data []byte) {
	// encoding/json also folds U+017F to 's' and U+212A to 'k' in names; we
	// match ASCII only.
	if strings.ContainsAny(string(data), "\u017f\u212a") {
		return
	}
	var got, want jsonMessage
	errGot := decodeJSONEnvelope(data, &got)
	errWant := json.Unmarshal(data, &want)
	if errWant != nil {
		require.Error(t, errGot, "encoding/json rejects %q: %v", data, errWant)
		return
	}
	require.NoError(t, errGot, "%q", data)
	assert.Equal(t, want, got, "%q", data)
}

func TestJSONEnvelopeMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{}`, `null`, ` { } `,
		`{"type":1,"target":"a","arguments":["x",{"y":[1,"]"]},null,-1.5e3]}`,
		`{"TYPE":3,"InvocationID":"7","Result":{"a":"}"}}`,
		`{"type":1,"type":2}`, `{"type":null}`, `{"type":-0}`,
		`{"type":1.0}`, `{"type":1e2}`, `{"type":"1"}`, `{"type":9223372036854775808}`,
		`{"error":"a","error":null}`, `{"error":5}`,
		`{"arguments":[1],"arguments":[]}`, `{"arguments":[1],"arguments":null}`, `{"arguments":{}}`,
		`{"streamIds":["a",null]}`, `{"streamIds":[1]}`, `{"streamIds":"a"}`,
		`{"headers":{"a":"1"},"headers":{"b":"2","a":null}}`, `{"headers":{"a":1}}`, `{"headers":[]}`,
		`{"item":null}`, `{"item":"\"x\""}`, `{"result":[[],{}]}`,
		`{"allowReconnect":true}`, `{"allowReconnect":null}`, `{"allowReconnect":1}`,
		`{"sequenceId":12}`, `{"sequenceId":null}`, `{"sequenceId":1.5}`, `{"sequenceId":"1"}`,
		`{"t\u0079pe":6}`, `{"target":"\ud83d\ude00\u0000\n"}`, "{\"target\":\"\xff\"}",
		`{"unknown":{"nested":[1,2,{"x":"]}"}]},"type":6}`,
		`[1]`, `"x"`, `1`, `{`, `{"type":1,}`, ``, `{"a":1}{}`,
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) { checkEnvelope(t, []byte(c)) })
	}
}

func FuzzJSONEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b[:len(b)-1])
	}
	f.Add([]byte(`{"Type":11,"Error":"x","headers":{"a":"b"},"streamIds":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkEnvelope(t, data) })
}
