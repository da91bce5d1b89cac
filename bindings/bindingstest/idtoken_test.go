package bindingstest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/golang-jwt/jwt/v5"
)

// An idToken the caller sends itself (here the Authorization header) cannot name the user of
// the minted token; App Service authentication's x-ms-token-aad-id-token, which the platform
// sets and strips from clients, can.
func TestIDTokenNamesTheUserOnlyFromThePlatformHeader(t *testing.T) {
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","nameid":"alice","name":"Mallory"}`)) + "."
	for _, tc := range []struct {
		name     string
		idToken  string
		header   string
		identity bool
	}{
		{"Authorization header", "{headers.authorization}", "Authorization", false},
		{"App Service id token header", "{headers.x-ms-token-aad-id-token}", "X-Ms-Token-Aad-Id-Token", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
			require.NoError(t, app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
				HTTPOptions:           bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
				ConnectionInfoOptions: bindings.ConnectionInfoOptions{IDToken: tc.idToken},
			}))
			f := newFixture(t, app, nil)
			resp, body := do(t, http.MethodPost, f.host.URL+"/api/negotiate", http.Header{tc.header: {forged}}, "")
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			var info struct {
				AccessToken string `json:"accessToken"`
			}
			require.NoError(t, json.Unmarshal(body, &info))
			claims := jwt.MapClaims{}
			_, _, err := jwt.NewParser().ParseUnverified(info.AccessToken, claims)
			require.NoError(t, err)
			assert.Equal(t, "Mallory", claims["name"])
			if tc.identity {
				assert.Equal(t, "alice", claims["sub"])
				assert.Equal(t, "alice", claims["nameid"])
				return
			}
			assert.NotContains(t, claims, "sub")
			assert.NotContains(t, claims, "nameid")
			assert.Equal(t, "alice", claims["asrs.u.sub"])
		})
	}
}
