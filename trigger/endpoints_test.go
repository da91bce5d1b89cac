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

func TestNewRouterForEndpoints(t *testing.T) {
	keyed, err := signalr.NewClientFromConnectionString("Endpoint=https://a.service.signalr.net;AccessKey="+primaryKey+";Version=1.0;", nil)
	require.NoError(t, err)
	identity, err := signalr.NewClient("https://b.service.signalr.net", staticCredential{}, nil)
	require.NoError(t, err)
	signed := func(key string) func(http.Header) {
		return func(h http.Header) { h.Set(HeaderSignature, Signature(key, "c1")) }
	}
	unsigned := func(h http.Header) { h.Del(HeaderSignature) }

	tests := []struct {
		name      string
		opts      RouterOptions
		endpoints []signalr.Endpoint
		wantErr   string
		requests  map[string]func(http.Header) // name -> request mutation
		want      map[string]int
	}{
		{"keys of key-based endpoints verify", RouterOptions{}, []signalr.Endpoint{{Name: "a", Client: keyed}, {Name: "b", Client: identity}}, "",
			map[string]func(http.Header){"primary": signed(primaryKey), "forged": signed(secondaryKey), "unsigned": unsigned},
			map[string]int{"primary": 200, "forged": 401, "unsigned": 401}},
		{"identity only without keys refuses to start", RouterOptions{}, []signalr.Endpoint{{Client: identity}}, "no access key to verify upstream signatures", nil, nil},
		{"no endpoints, no keys refuses to start", RouterOptions{}, nil, "InsecureSkipSignature", nil, nil},
		{"identity with configured keys stays verified", RouterOptions{AccessKeys: []string{secondaryKey}}, []signalr.Endpoint{{Client: identity}}, "",
			map[string]func(http.Header){"secondary": signed(secondaryKey), "forged": signed(primaryKey), "unsigned": unsigned},
			map[string]int{"secondary": 200, "forged": 401, "unsigned": 401}},
		{"explicit InsecureSkipSignature", RouterOptions{InsecureSkipSignature: true}, []signalr.Endpoint{{Client: identity}}, "",
			map[string]func(http.Header){"unsigned": unsigned},
			map[string]int{"unsigned": 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRouterForEndpoints(tt.opts, tt.endpoints...)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.Nil(t, r)
				return
			}
			require.NoError(t, err)
			r.OnMessage("chat", "send", func(ctx context.Context, inv *Invocation, text string) error { return nil })
			for name, mutate := range tt.requests {
				rec := serve(r, newUpstream(t, `{"type":1,"target":"send","arguments":["hi"]}`+"\x1e", ContentTypeJSON, mutate))
				assert.Equal(t, tt.want[name], rec.Code, "%s: %s", name, rec.Body.String())
				assert.NotContains(t, rec.Body.String(), primaryKey)
			}
		})
	}
}
