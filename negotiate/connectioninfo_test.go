package negotiate

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnectionInfoJSON(t *testing.T) {
	cases := []struct {
		name string
		info ConnectionInfo
		json string
	}{
		{
			name: "redirect shape without lifetime",
			info: ConnectionInfo{URL: "https://x.service.signalr.net/client/?hub=chat", AccessToken: "a.b.c"},
			json: `{"url":"https://x.service.signalr.net/client/?hub=chat","accessToken":"a.b.c"}`,
		},
		{
			name: "lifetime as whole seconds",
			info: ConnectionInfo{URL: "u", AccessToken: "t", TokenLifetime: 90 * time.Minute},
			json: `{"url":"u","accessToken":"t","tokenLifetimeSeconds":5400}`,
		},
		{
			name: "sub-second lifetime rounds up",
			info: ConnectionInfo{URL: "u", AccessToken: "t", TokenLifetime: 1500 * time.Millisecond},
			json: `{"url":"u","accessToken":"t","tokenLifetimeSeconds":2}`,
		},
		{
			name: "escaping; encoding/json HTML-escapes marshaller output",
			info: ConnectionInfo{URL: "u\"<", AccessToken: "t\\"},
			json: `{"url":"u\"\u003c","accessToken":"t\\"}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.info)
			require.NoError(t, err)
			assert.Equal(t, tc.json, string(b))

			// encoding/json agrees on the url and accessToken fields.
			var plain map[string]any
			require.NoError(t, json.Unmarshal(b, &plain))
			assert.Equal(t, tc.info.URL, plain["url"])
			assert.Equal(t, tc.info.AccessToken, plain["accessToken"])

			var back ConnectionInfo
			require.NoError(t, json.Unmarshal(b, &back))
			want := tc.info
			want.TokenLifetime = time.Duration(lifetimeSeconds(tc.info.TokenLifetime)) * time.Second
			assert.Equal(t, want, back)
		})
	}
}

func TestConnectionInfoUnmarshalTolerant(t *testing.T) {
	cases := []struct {
		json string
		want ConnectionInfo
	}{
		{`{"url":"u","accessToken":"t","tokenLifetimeSeconds":null}`, ConnectionInfo{URL: "u", AccessToken: "t"}},
		{`{"url":"u","accessToken":"t","tokenLifetimeSeconds":0}`, ConnectionInfo{URL: "u", AccessToken: "t"}},
		{`{"url":"u","accessToken":"t","availableTransports":[],"extra":1}`, ConnectionInfo{URL: "u", AccessToken: "t"}},
		{`{"url":"u","accessToken":"t","tokenLifetimeSeconds":3600}`, ConnectionInfo{URL: "u", AccessToken: "t", TokenLifetime: time.Hour}},
		{`{"url":"u","accessToken":"t","tokenLifetimeSeconds":"60"}`, ConnectionInfo{URL: "u", AccessToken: "t", TokenLifetime: time.Minute}},
	}
	for _, tc := range cases {
		var got ConnectionInfo
		require.NoError(t, json.Unmarshal([]byte(tc.json), &got), tc.json)
		assert.Equal(t, tc.want, got, tc.json)
	}
	for _, bad := range []string{
		`{"url":"u","accessToken":"t","tokenLifetimeSeconds":1.5}`,
		`{"url":"u","accessToken":"t","tokenLifetimeSeconds":-1}`,
		`{"url":"u","accessToken":"t","tokenLifetimeSeconds":"sixty"}`,
		`{"url":"u","accessToken":"t","tokenLifetimeSeconds":1e30}`,
		`{"url":1}`,
		`[]`,
	} {
		var got ConnectionInfo
		err := json.Unmarshal([]byte(bad), &got)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "negotiate: connection info")
		assert.Zero(t, got)
	}
}

func TestConnectionInfoRedactsToken(t *testing.T) {
	info := ConnectionInfo{URL: "https://x/client/?hub=chat", AccessToken: "secret.token.value"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, info)
		assert.NotContains(t, out, "secret.token.value", format)
		assert.Contains(t, out, "https://x/client/?hub=chat", format)
	}
	out := fmt.Sprintf("%v", &info)
	assert.NotContains(t, out, "secret.token.value")
}
