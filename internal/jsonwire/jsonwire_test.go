package jsonwire

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain ascii text", `"plain ascii text"`},
		{"quote\" back\\slash", `"quote\" back\\slash"`},
		{"nl\ncr\rtab\t", `"nl\ncr\rtab\t"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"bad \xff utf8", `"bad \ufffd utf8"`},
		{"line\u2028para\u2029", `"line\u2028para\u2029"`},
		{"héllo <b>", `"héllo <b>"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, string(AppendString(nil, tt.in)))
		})
	}
}

func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// FuzzAppendJSONString checks the hand-written escaper against encoding/json, with the special
// byte at every offset so both the eight-byte and the byte-wise paths see it.
func FuzzAppendJSONString(f *testing.F) {
	for _, special := range []string{"\"", "\\", "\n", "\x00", "\x1f", "\x7f", "\x80", "\xff", "é", "\u2028", "\u2029", "<"} {
		for i := range 17 {
			f.Add(strings.Repeat("a", i) + special + strings.Repeat("b", 16-i))
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString([]byte("x"), s)
		require.Equal(t, byte('x'), b[0])
		require.Equal(t, len(b)-1, StringLen(s), "StringLen(%q)", s)
		require.True(t, json.Valid(b[1:]), "invalid JSON for %q: %s", s, b[1:])
		var got string
		require.NoError(t, json.Unmarshal(b[1:], &got))
		assert.Equal(t, viaJSON(s), got)
	})
}
