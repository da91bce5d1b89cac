package trigger

import (
	"context"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

type staticCredential struct{}

func (staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t"}, nil
}

// A Router verifies upstream signatures with the access keys of its client's endpoints and any
// configured AccessKeys, and refuses to be built when it could verify nothing.
func TestNewRouterSignatureKeys(t *testing.T) {
	keyed, err := signalr.NewClientFromConnectionString("Endpoint=https://a.service.signalr.net;AccessKey="+primaryKey+";Version=1.0;", nil)
	require.NoError(t, err)
	identity, err := signalr.NewClient("https://b.service.signalr.net", staticCredential{}, nil)
	require.NoError(t, err)
	both, err := signalr.NewClientWithEndpoints([]signalr.Endpoint{{Name: "a", Client: keyed}, {Name: "b", Client: identity}}, nil)
	require.NoError(t, err)
	signed := func(key string) func(http.Header) {
		return func(h http.Header) { h.Set(HeaderSignature, Signature(key, "c1")) }
	}
	unsigned := func(h http.Header) { h.Del(HeaderSignature) }

	tests := []struct {
		name     string
		opts     *RouterOptions
		wantErr  string
		requests map[string]func(http.Header) // name -> request mutation
		want     map[string]int
	}{
		{"keys of key-based endpoints verify", &RouterOptions{ParseOptions: ParseOptions{Client: both}}, "",
			map[string]func(http.Header){"primary": signed(primaryKey), "forged": signed(secondaryKey), "unsigned": unsigned},
			map[string]int{"primary": 200, "forged": 401, "unsigned": 401}},
		{"identity only without keys refuses to start", &RouterOptions{ParseOptions: ParseOptions{Client: identity}},
			"the client's endpoints use Microsoft Entra ID and AccessKeys is empty; set AccessKeys to the service's access keys, or InsecureSkipSignature", nil, nil},
		{"no options refuse to start", nil, "set Client to the signalr.Client of the service, AccessKeys to its access keys, or InsecureSkipSignature", nil, nil},
		{"empty options refuse to start", &RouterOptions{}, "no access key to verify upstream signatures with", nil, nil},
		{"identity with configured keys stays verified", &RouterOptions{ParseOptions: ParseOptions{Client: identity, AccessKeys: []string{secondaryKey}}}, "",
			map[string]func(http.Header){"secondary": signed(secondaryKey), "forged": signed(primaryKey), "unsigned": unsigned},
			map[string]int{"secondary": 200, "forged": 401, "unsigned": 401}},
		{"client and configured keys together", &RouterOptions{ParseOptions: ParseOptions{Client: keyed, AccessKeys: []string{secondaryKey}}}, "",
			map[string]func(http.Header){"primary": signed(primaryKey), "secondary": signed(secondaryKey), "forged": signed("other")},
			map[string]int{"primary": 200, "secondary": 200, "forged": 401}},
		{"explicit InsecureSkipSignature", &RouterOptions{ParseOptions: ParseOptions{Client: identity, InsecureSkipSignature: true}}, "",
			map[string]func(http.Header){"unsigned": unsigned},
			map[string]int{"unsigned": 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRouter(tt.opts)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, r)
				return
			}
			require.NoError(t, err)
			require.NoError(t, r.OnMessage("chat", "send", func(ctx context.Context, inv *Invocation, text string) error { return nil }))
			for name, mutate := range tt.requests {
				rec := serve(r, newUpstream(t, `{"type":1,"target":"send","arguments":["hi"]}`+"\x1e", ContentTypeJSON, mutate))
				assert.Equal(t, tt.want[name], rec.Code, "%s: %s", name, rec.Body.String())
				assert.NotContains(t, rec.Body.String(), primaryKey)
			}
		})
	}
}

// The keys of ParseOptions.Client are read at each request, so a rotated key
// (AccessKeyCredential.Update) verifies at once, in Parse as in a Router.
func TestSignatureKeysFollowRotation(t *testing.T) {
	key := signalr.NewAccessKeyCredential(primaryKey)
	client, err := signalr.NewClientWithAccessKey("https://a.service.signalr.net", key, nil)
	require.NoError(t, err)
	opts := &ParseOptions{Client: client}
	r := mustRouter(t, &RouterOptions{ParseOptions: *opts})
	require.NoError(t, r.OnMessage("chat", "send", func(ctx context.Context, inv *Invocation, text string) error { return nil }))
	body := `{"type":1,"target":"send","arguments":["hi"]}` + "\x1e"
	signedWith := func(k string) func(http.Header) {
		return func(h http.Header) { h.Set(HeaderSignature, Signature(k, "c1")) }
	}

	_, err = Parse(newUpstream(t, body, ContentTypeJSON, signedWith(primaryKey)), opts)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, serve(r, newUpstream(t, body, ContentTypeJSON, signedWith(primaryKey))).Code)

	key.Update(secondaryKey)
	_, err = Parse(newUpstream(t, body, ContentTypeJSON, signedWith(primaryKey)), opts)
	require.ErrorIs(t, err, ErrInvalidSignature)
	_, err = Parse(newUpstream(t, body, ContentTypeJSON, signedWith(secondaryKey)), opts)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, serve(r, newUpstream(t, body, ContentTypeJSON, signedWith(primaryKey))).Code)
	assert.Equal(t, http.StatusOK, serve(r, newUpstream(t, body, ContentTypeJSON, signedWith(secondaryKey))).Code)
}
