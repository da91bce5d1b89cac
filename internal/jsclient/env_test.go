package jsclient

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recordTB records what unavailable decided instead of ending the test.
type recordTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordTB) Helper()              {}
func (r *recordTB) Skip(args ...any)     { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Fatal(args ...any)    { r.fatal = fmt.Sprint(args...) }
func (r *recordTB) Skipf(string, ...any) { panic("unexpected Skipf") }

func TestUnavailableSkipsOutsideCIAndFailsInCI(t *testing.T) {
	tests := []struct {
		ci                  string
		wantSkip, wantFatal bool
	}{
		{"", true, false},
		{"false", true, false},
		{"true", false, true},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recordTB{}
			unavailable(r, "node not found; install Node 20 to run the JS client tests")
			if tt.wantSkip {
				assert.Equal(t, "node not found; install Node 20 to run the JS client tests", r.skipped)
				assert.Empty(t, r.fatal)
			}
			if tt.wantFatal {
				assert.Contains(t, r.fatal, "node not found")
				assert.Contains(t, r.fatal, "CI=true")
				assert.Empty(t, r.skipped)
			}
		})
	}
}

func TestLookupNodeReportsWhatToInstall(t *testing.T) {
	t.Setenv("NODE", "/nonexistent/node")
	_, msg := lookupNode()
	assert.Contains(t, msg, "install Node 20")

	t.Setenv("NODE", "")
	t.Setenv("PATH", t.TempDir())
	_, msg = lookupNode()
	assert.Equal(t, "node not found; install Node 20 to run the JS client tests", msg)
}

func TestRequireChromiumMissing(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv("CHROMIUM_PATH", "/nonexistent/chromium")
	r := &recordTB{}
	RequireChromium(r)
	// Without node RequireChromium stops at Require; either way the test is skipped with a hint.
	assert.NotEmpty(t, r.skipped)
	assert.Empty(t, r.fatal)
}
