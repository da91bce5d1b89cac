package trigger

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParse throws arbitrary bodies and header values at Parse: it must
// answer with one of its sentinel errors or a usable Invocation, never panic.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "requests", "*.http"))
	for _, name := range files {
		r := loadRequest(f, strings.TrimSuffix(filepath.Base(name), ".http"))
		body, _ := io.ReadAll(r.Body)
		f.Add(body, r.Header.Get("Content-Type"), r.Header.Get(HeaderCategory), r.Header.Get(HeaderEvent),
			r.Header.Get(HeaderUserClaims), r.Header.Get(HeaderClientQuery), r.Header.Get(HeaderSignature))
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "host_context_message.json"))
	require.NoError(f, err)
	f.Add(raw, "application/json", "messages", "x", "a: b", "?", "sha256=zz")
	sentinels := []error{ErrNotSignalRRequest, ErrInvalidSignature, ErrUnsupportedContentType, ErrTooLarge, ErrMalformedBody}
	f.Fuzz(func(t *testing.T, body []byte, ctype, category, event, claims, query, sig string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		h := r.Header
		for k, v := range map[string]string{"Content-Type": ctype, HeaderCategory: category, HeaderEvent: event,
			HeaderUserClaims: claims, HeaderClientQuery: query, HeaderSignature: sig} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		h.Set(HeaderConnectionID, goldenConnID)
		h.Set(HeaderHub, "chat")
		// Half the time the signature is right, so decoding gets exercised.
		if len(body)%2 == 0 {
			h.Add(HeaderSignature, Signature(primaryKey, goldenConnID))
		}
		inv, err := Parse(r, &ParseOptions{AccessKeys: []string{primaryKey}, MaxBodySize: 4096})
		if err != nil {
			matched := 0
			for _, s := range sentinels {
				if errors.Is(err, s) {
					matched++
				}
			}
			require.Equal(t, 1, matched, "error %q wraps %d sentinels", err, matched)
			assert.NotContains(t, err.Error(), primaryKey)
			return
		}
		require.NotNil(t, inv)
		assert.Equal(t, len(inv.args), len(inv.Arguments))
		dst := make([]any, len(inv.Arguments))
		_ = inv.Bind(dst...)
		if inv.IsInvoke() {
			b, err := inv.Completion("ok", nil)
			require.NoError(t, err)
			require.NotEmpty(t, b)
		}
	})
}
