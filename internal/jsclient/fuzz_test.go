package jsclient_test

import (
	"encoding/json"
	"testing"

	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// Binary values and event lines come from another process; no input may panic, and whatever
// decodes must re-encode to an equal value.
func FuzzBinaryUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`{"$binary":"AQL/"}`, `{"$binary":""}`, `{"$binary":"!!"}`, `{"$binary":1}`, `"x"`, `null`, `{}`, `{"$binary":"AQL/","x":1}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b jsclient.Binary
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var back jsclient.Binary
		if err := json.Unmarshal(out, &back); err != nil || string(back) != string(b) {
			t.Fatalf("round trip of %q: %q, %v", data, back, err)
		}
	})
}

func FuzzEventArg(f *testing.F) {
	for _, s := range []string{
		`{"event":"message","target":"t","args":["a",1,{"$binary":"AQ=="}]}`,
		`{"event":"close","error":"x"}`,
		`{"event":"message","args":null}`,
		`{"event":"message","args":[}`,
	} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, line []byte, i int) {
		var ev jsclient.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return
		}
		var v any
		_ = ev.Arg(i, &v)
		var b jsclient.Binary
		_ = ev.Arg(i, &b)
		_ = jsclient.IsMessage(ev.Target)(ev)
	})
}
