package localsettings

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"IsEncrypted":false,"Values":{"FUNCTIONS_WORKER_RUNTIME":"Custom","AzureSignalRConnectionString":"Endpoint=http://x;AccessKey=k;Version=1.0;"},"Host":{"LocalHttpPort":7071,"CORS":"http://localhost:8080","CORSCredentials":true}}`,
		"\ufeff{ // c\n 'Values': { A: 1, 'B': true, \"C\": null, }, /* x */ }",
		`{"ConnectionStrings":{"A":"x","B":{"ConnectionString":"y","ProviderName":"p"}}}`,
		`{"IsEncrypted":true,"Values":{"A":""}}`,
		`{"Values":{"A":{"B":"c"}}}`,
		`{"Host":{"CORS":"*","CORSCredentials":"true"}}`,
		`{"Values":{"E":"\ud83d\ude00\u0041\n"}}`,
		`[`, `{"a":`, `/*`, `"`, `{"A":-1.5e+3}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.json", data)
		if err != nil {
			require.Nil(t, file)
			// Errors are short: they describe, they do not quote.
			assert.Less(t, len(err.Error()), 600)
			return
		}
		require.NotNil(t, file)
		for k, v := range file.Values {
			require.NotEmpty(t, k)
			require.False(t, strings.ContainsAny(k, "=\x00"), "key %q", k)
			require.NotContains(t, v, "\x00")
			if file.IsEncrypted {
				require.Empty(t, v)
			}
		}
		if file.Host.CORSCredentials {
			require.False(t, file.Host.AllowAnyOrigin())
		}
		require.True(t, file.Host.LocalHTTPPort >= 0 && file.Host.LocalHTTPPort <= 65535)
		// The values survive a round trip through plain JSON when they are valid UTF-8 (the
		// parser keeps invalid bytes; encoding/json would replace them).
		for _, v := range file.Values {
			if !utf8.ValidString(v) {
				return
			}
		}
		plain, err := json.Marshal(map[string]any{"Values": file.Values})
		require.NoError(t, err)
		again, err := Parse("again.json", plain)
		require.NoError(t, err)
		require.Equal(t, file.Values, again.Values)
	})
}
