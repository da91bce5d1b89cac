package redact

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

type secretHolder struct{ Secret string }

func (s secretHolder) Format(f fmt.State, verb rune) { Format(f, verb, "holder(REDACTED)") }
func (s secretHolder) LogValue() slog.Value          { return Value("holder(REDACTED)") }

func TestFormatWritesTheRedactedTextForEveryVerb(t *testing.T) {
	v := secretHolder{Secret: "hunter2"}
	for _, tc := range []struct{ verb, want string }{
		{"%v", "holder(REDACTED)"},
		{"%+v", "holder(REDACTED)"},
		{"%#v", "holder(REDACTED)"},
		{"%s", "holder(REDACTED)"},
		{"%q", `"holder(REDACTED)"`},
		{"%d", "holder(REDACTED)"},
		{"%x", "holder(REDACTED)"},
		{"%-40.2s", "holder(REDACTED)"},
	} {
		assert.Equal(t, tc.want, fmt.Sprintf(tc.verb, v), tc.verb)
		assert.Equal(t, tc.want, fmt.Sprintf(tc.verb, &v), tc.verb+" by pointer")
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
	assert.Contains(t, buf.String(), `"v":"holder(REDACTED)"`)
	assert.NotContains(t, buf.String(), "hunter2")
}
