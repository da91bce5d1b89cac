package localsettings

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name       string
		file       map[string]string
		environ    []string
		settings   map[string]string
		fromFile   []string
		overridden []string
	}{
		{
			name:     "file settings fill in what the environment lacks",
			file:     map[string]string{"B": "file-b", "A": "file-a"},
			environ:  []string{"PATH=/bin"},
			settings: map[string]string{"PATH": "/bin", "A": "file-a", "B": "file-b"},
			fromFile: []string{"A", "B"},
		},
		{
			// StartHostAction.UpdateEnvironmentVariables: a non-empty variable wins and the
			// local setting is skipped with a warning.
			name:       "a non-empty environment variable wins",
			file:       map[string]string{"A": "file", "B": "file"},
			environ:    []string{"A=env"},
			settings:   map[string]string{"A": "env", "B": "file"},
			fromFile:   []string{"B"},
			overridden: []string{"A"},
		},
		{
			// The same check uses string.IsNullOrEmpty, so an empty variable does not win.
			name:     "an empty environment variable does not override",
			file:     map[string]string{"A": "file"},
			environ:  []string{"A="},
			settings: map[string]string{"A": "file"},
			fromFile: []string{"A"},
		},
		{
			name:     "an empty file value is set when the environment lacks it",
			file:     map[string]string{"A": ""},
			settings: map[string]string{"A": ""},
			fromFile: []string{"A"},
		},
		{
			name:     "names compare exactly",
			file:     map[string]string{"a": "file"},
			environ:  []string{"A=env"},
			settings: map[string]string{"A": "env", "a": "file"},
			fromFile: []string{"a"},
		},
		{
			name:     "values keep their '=' and malformed entries are skipped",
			environ:  []string{"K=a=b", "=C:=C:\\x", "junk", ""},
			settings: map[string]string{"K": "a=b", "=C:": "C:\\x"},
		},
		{
			name:     "an empty key in the file is ignored",
			file:     map[string]string{"": "x"},
			settings: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Merge(tt.file, tt.environ)
			assert.Equal(t, tt.settings, m.Settings)
			assert.Equal(t, tt.fromFile, m.FromFile)
			assert.Equal(t, tt.overridden, m.Overridden)
		})
	}
}

func TestMergedWarnings(t *testing.T) {
	m := Merge(map[string]string{"AzureSignalRConnectionString": "Endpoint=x;AccessKey=" + secret, "B": "1"},
		[]string{"AzureSignalRConnectionString=Endpoint=y;AccessKey=" + secret, "B=2"})
	w := m.Warnings()
	// Core Tools' wording (StartHostAction.UpdateEnvironmentVariables).
	assert.Equal(t, []string{
		`Skipping "AzureSignalRConnectionString" from local settings as it's already defined in current environment variables.`,
		`Skipping "B" from local settings as it's already defined in current environment variables.`,
	}, w)
	for _, s := range w {
		assert.NotContains(t, s, secret)
	}
}

func TestLookup(t *testing.T) {
	lookup := Lookup(map[string]string{
		"Exact":         "exact",
		"EXACT":         "upper",
		"Parent__Child": "env-style",
		"Other:Child":   "colon-style",
		"dup__x":        "first",
		"DUP:X":         "second",
		"Empty":         "",
	})
	tests := []struct {
		name  string
		want  string
		found bool
	}{
		{"Exact", "exact", true},
		{"EXACT", "upper", true},
		{"exact", "upper", true}, // "EXACT" sorts before "Exact"
		{"Parent:Child", "env-style", true},
		{"parent__child", "env-style", true},
		{"Other__Child", "colon-style", true},
		{"dup:x", "second", true}, // "DUP:X" sorts before "dup__x"
		{"Empty", "", true},
		{"Missing", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := lookup(tt.name)
		assert.Equal(t, tt.found, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}
