package hostconv

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The cases follow .NET's Convert.FromBase64String: whitespace ignored, a length that is a
// multiple of four, the standard alphabet, at most two '=' and only at the end.
func TestIsBase64(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"test", true},
		{"abcd", true},
		{"YQ==", true},
		{"YWI=", true},
		{"Y Q = =", true},
		{"YQ\r\n==", true},
		{"a+/b", true},
		{"hello", false},
		{"abc", false},
		{"Y===", false},
		{"=abc", false},
		{"ab=c", false},
		{"ab-_", false},
		{"hi there", false},
		{"{\"a\":1}", false},
		{"héllo", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, IsBase64(tt.in))
		})
	}
}

// FuzzIsBase64 checks that whatever IsBase64 accepts, once stripped of whitespace, decodes with
// the standard alphabet, as .NET would decode it.
func FuzzIsBase64(f *testing.F) {
	for _, s := range []string{"", "test", "YQ==", "a b c d", "abc", "Y==="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsBase64(s) {
			return
		}
		var compact []byte
		for i := 0; i < len(s); i++ {
			if c := s[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				compact = append(compact, c)
			}
		}
		if len(compact)%4 != 0 {
			t.Fatalf("%q accepted with %d significant characters", s, len(compact))
		}
		// Go's default decoder, like .NET's, ignores the unused bits of the last group.
		if _, err := base64.StdEncoding.DecodeString(string(compact)); err != nil {
			t.Fatalf("%q accepted but does not decode: %v", s, err)
		}
	})
}
