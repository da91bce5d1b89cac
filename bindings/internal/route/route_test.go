package route

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		template, path string
		want           map[string]string
		ok             bool
	}{
		{"negotiate", "negotiate", map[string]string{}, true},
		{"negotiate", "Negotiate/", map[string]string{}, true},
		{"negotiate", "negotiate/x", nil, false},
		{"items/{id}", "items/42", map[string]string{"id": "42"}, true},
		{"items/{id}", "items", nil, false},
		{"items/{id:int}", "items/abc", nil, false},
		{"items/{id:int}", "items/-7", map[string]string{"id": "-7"}, true},
		{"items/{id?}", "items", map[string]string{}, true},
		{"items/{id=first}", "items", map[string]string{"id": "first"}, true},
		{"files/{*path}", "files/a/b/c", map[string]string{"path": "a/b/c"}, true},
		{"files/{*path}", "files", map[string]string{}, true},
		{"files/{**path=x}", "files", map[string]string{"path": "x"}, true},
		{"u/{name:alpha}", "u/bob", map[string]string{"name": "bob"}, true},
		{"u/{name:alpha}", "u/b0b", nil, false},
		{"g/{id:guid}", "g/0f8fad5b-d9cb-469f-a165-70867728950e", map[string]string{"id": "0f8fad5b-d9cb-469f-a165-70867728950e"}, true},
		{"g/{id:guid}", "g/nope", nil, false},
		{"b/{v:bool}", "b/True", map[string]string{"v": "True"}, true},
		{"d/{v:double}", "d/1.5", map[string]string{"v": "1.5"}, true},
		{"d/{v:minlength(2)}", "d/x", map[string]string{"v": "x"}, true},
		{"e/{v}", "e/a%20b", map[string]string{"v": "a b"}, true},
		{"", "", map[string]string{}, true},
		{"", "x", nil, false},
	}
	for _, tt := range tests {
		tpl, err := Parse(tt.template)
		require.NoError(t, err, tt.template)
		got, ok := tpl.Match(tt.path)
		assert.Equal(t, tt.ok, ok, "%s ~ %s", tt.template, tt.path)
		if tt.ok {
			assert.Equal(t, tt.want, got, "%s ~ %s", tt.template, tt.path)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for template, want := range map[string]string{
		"/abs":      "starts with",
		"~/x":       "starts with",
		"a//b":      "empty segment",
		"a{b}":      "mixes text",
		"{a}{b}":    "not a single",
		"{*rest}/x": "must be the last",
		"{a}/{A}":   "appears twice",
		"{}":        "has no name",
		"{a b}":     "has character",
		"{a:nope}":  "not supported",
		"{a?}/b":    "must not be followed",
	} {
		_, err := Parse(template)
		require.ErrorContains(t, err, want, template)
	}
}

func TestParams(t *testing.T) {
	tpl, err := Parse("a/{x}/{y?}")
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y"}, tpl.Params())
	assert.Equal(t, "a/{x}/{y?}", tpl.String())
}

func FuzzParseMatch(f *testing.F) {
	f.Add("items/{id:int}/{*rest}", "items/1/a/b")
	f.Add("{a?}", "")
	f.Add("{a=b}/{c:guid}", "x/y")
	f.Fuzz(func(t *testing.T, template, path string) {
		tpl, err := Parse(template)
		if err != nil {
			return
		}
		_, _ = tpl.Match(path)
	})
}
