package bindings_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/bindingstest"
	"github.com/funcsignalr/funcsignalr/negotiate"
	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// mintApp declares a negotiate function whose App mints the token: the signed-in user when
// there is one, anonymous otherwise.
func mintApp(t *testing.T) *bindings.App {
	t.Helper()
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
		HTTPOptions: bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		Mint:        &negotiate.HandlerOptions{},
	}))
	return app
}

// principalHeaders are what App Service authentication adds for a signed-in user.
func principalHeaders(id string) http.Header {
	principal := base64.StdEncoding.EncodeToString([]byte(`{"auth_typ":"aad","claims":[{"typ":"name","val":"Alice"}],"name_typ":"name","role_typ":"roles"}`))
	return http.Header{
		negotiate.HeaderClientPrincipalID:   {id},
		negotiate.HeaderClientPrincipalName: {"Alice"},
		negotiate.HeaderClientPrincipalIDP:  {"aad"},
		negotiate.HeaderClientPrincipal:     {principal},
	}
}

type mintedInfo struct {
	URL         string `json:"url"`
	AccessToken string `json:"accessToken"`
}

func postNegotiate(t *testing.T, url string, header http.Header) (int, http.Header, mintedInfo, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var info mintedInfo
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &info), "%s", body)
	}
	return resp.StatusCode, resp.Header, info, string(body)
}

// NegotiateOptions.Mint gives the signed-in user a token with their id and anonymous callers a
// token without one, where a userId binding expression would fail the anonymous invocation.
func TestNegotiateMintsForTheSignedInUserOrAnonymous(t *testing.T) {
	srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(srv.Close)
	host, err := bindingstest.NewHost(mintApp(t), &bindingstest.Options{Logger: quiet, SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	status, header, info, body := postNegotiate(t, host.URL+"/api/negotiate", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, srv.URL+"/client/?hub=chat", info.URL)
	assert.NotContains(t, tokenClaims(t, info.AccessToken), "asrs.s.uid", "anonymous")
	assert.Equal(t, "no-store", header.Get("Cache-Control"), "negotiate.Handler's answer, through the host")
	assert.Contains(t, header.Get("Content-Type"), "application/json")

	status, _, info, body = postNegotiate(t, host.URL+"/api/negotiate", principalHeaders("alice-id"))
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "alice-id", tokenClaims(t, info.AccessToken)["asrs.s.uid"])

	// The host-minted binding with a userId expression fails the same anonymous call.
	byBinding := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, byBinding.Negotiate("negotiate", "chat", &bindings.NegotiateOptions{
		HTTPOptions:           bindings.HTTPOptions{AuthLevel: bindings.AuthLevelAnonymous},
		ConnectionInfoOptions: bindings.ConnectionInfoOptions{UserID: "{headers.x-ms-client-principal-id}"},
	}))
	bindingHost, err := bindingstest.NewHost(byBinding, &bindingstest.Options{Logger: quiet, SignalRConnectionString: srv.ConnectionString()})
	require.NoError(t, err)
	t.Cleanup(bindingHost.Close)
	status, _, _, _ = postNegotiate(t, bindingHost.URL+"/api/negotiate", nil)
	assert.Equal(t, http.StatusInternalServerError, status, "a missing binding expression value fails the invocation")
}

// Under the real Functions host the App reads the connection setting from its environment; the
// same invocation payload then gives the same answer as under bindingstest.
func TestNegotiateMintUnderTheHostReadsTheEnvironment(t *testing.T) {
	srv := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(srv.Close)
	t.Setenv(signalr.DefaultConnectionSetting, srv.ConnectionString())
	app := mintApp(t)

	// The payload the host sends for a signed-in caller.
	payload := `{"Data":{"req":{"Url":"https://app.azurewebsites.net/api/negotiate","Method":"POST","Query":{},` +
		`"Headers":{"X-Ms-Client-Principal-Id":["bob-id"]},"Params":{},"Identities":[]}},"Metadata":{}}`
	w := invoke(t, app, "negotiate", []byte(payload))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var resp struct {
		Outputs struct {
			Res struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			} `json:"res"`
		}
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
	assert.Equal(t, http.StatusOK, resp.Outputs.Res.StatusCode)
	assert.Contains(t, resp.Outputs.Res.Headers["Content-Type"], "application/json")
	var info mintedInfo
	require.NoError(t, json.Unmarshal([]byte(resp.Outputs.Res.Body), &info))
	assert.Equal(t, srv.URL+"/client/?hub=chat", info.URL)
	assert.Equal(t, "bob-id", tokenClaims(t, info.AccessToken)["asrs.s.uid"])

	// Through bindingstest with the same setting in the environment only, the answer is alike.
	host, err := bindingstest.NewHost(app, &bindingstest.Options{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(host.Close)
	status, _, viaHost, body := postNegotiate(t, host.URL+"/api/negotiate", http.Header{negotiate.HeaderClientPrincipalID: {"bob-id"}})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, info.URL, viaHost.URL)
	assert.Equal(t, "bob-id", tokenClaims(t, viaHost.AccessToken)["asrs.s.uid"])
}

// The App follows the host's settings: one set after the host started (an emulator started
// later) and several endpoints, among which the token goes to an online one.
func TestNegotiateMintFollowsSettings(t *testing.T) {
	first := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(first.Close)
	second := signalrtest.NewServer(&signalrtest.Options{Logger: quiet})
	t.Cleanup(second.Close)
	host, err := bindingstest.NewHost(mintApp(t), &bindingstest.Options{Logger: quiet,
		Settings: map[string]string{signalr.DefaultConnectionSetting: ""}})
	require.NoError(t, err)
	t.Cleanup(host.Close)

	status, _, _, body := postNegotiate(t, host.URL+"/api/negotiate", nil)
	assert.Equal(t, http.StatusInternalServerError, status, "no service configured yet: %s", body)

	host.SetSetting(signalr.DefaultConnectionSetting, first.ConnectionString())
	status, _, info, body := postNegotiate(t, host.URL+"/api/negotiate", nil)
	require.Equal(t, http.StatusOK, status, body)
	assert.True(t, strings.HasPrefix(info.URL, first.URL), info.URL)

	host.SetSetting("Azure__SignalR__Endpoints__backup", second.ConnectionString())
	seen := map[string]bool{}
	for range 40 {
		status, _, info, body := postNegotiate(t, host.URL+"/api/negotiate", nil)
		require.Equal(t, http.StatusOK, status, body)
		seen[strings.SplitN(info.URL, "/client/", 2)[0]] = true
	}
	assert.Equal(t, map[string]bool{first.URL: true, second.URL: true}, seen, "both primaries take clients")
}

func TestNegotiateMintDeclaresNoSignalRBinding(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, mintApp(t).Run([]string{"functionjson", dir}))
	fj, err := os.ReadFile(filepath.Join(dir, "negotiate", "function.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"bindings":[
		{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["post","get"]},
		{"type":"http","direction":"out","name":"res"}]}`, string(fj))
}

func TestNegotiateMintConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		hub  string
		opts bindings.NegotiateOptions
		want string
	}{
		{"user expression", "chat", bindings.NegotiateOptions{ConnectionInfoOptions: bindings.ConnectionInfoOptions{UserID: "{query.user}"}, Mint: &negotiate.HandlerOptions{}}, "do not apply; set Mint.UserID"},
		{"id token expression", "chat", bindings.NegotiateOptions{ConnectionInfoOptions: bindings.ConnectionInfoOptions{IDToken: "{headers.authorization}"}, Mint: &negotiate.HandlerOptions{}}, "do not apply"},
		{"origins", "chat", bindings.NegotiateOptions{Mint: &negotiate.HandlerOptions{AllowedOrigins: []string{"https://a.example"}}}, "the Functions host answers CORS"},
		{"hub from a setting", "%Hub%", bindings.NegotiateOptions{Mint: &negotiate.HandlerOptions{}}, "comes from an app setting"},
		{"invalid hub", "9chat", bindings.NegotiateOptions{Mint: &negotiate.HandlerOptions{}}, `hub name "9chat" is invalid`},
		{"lifetime", "chat", bindings.NegotiateOptions{Mint: &negotiate.HandlerOptions{Lifetime: 30 * 24 * time.Hour}}, "Lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := bindings.NewApp(nil)
			require.ErrorContains(t, app.Negotiate("negotiate", tt.hub, &tt.opts), tt.want)
			assert.Empty(t, app.FunctionNames(), "nothing registered")
		})
	}
}
