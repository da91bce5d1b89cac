package negotiate

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
	"github.com/funcsignalr/funcsignalr/signalr/signalrtest"
)

// emulatorAccepts reports whether the emulator's client negotiate accepts info's token.
func emulatorAccepts(t *testing.T, ctx context.Context, info ConnectionInfo) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.Replace(info.URL, "/client/?", "/client/negotiate?", 1)+"&negotiateVersion=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	kid, _ := parsed.Header["kid"].(string)
	return kid
}

// The emulator and the Negotiator share a clock the test moves. When the service's temporary
// key expires (the service rotated it), tokens signed with it are refused, and the Negotiator
// picks up the new key when it refreshes: its tokens are accepted again.
func TestEntraKeyRotationAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	srv := signalrtest.NewServer(&signalrtest.Options{
		Now: clock,
		TokenValidator: func(_ context.Context, token string) error {
			if token != "entra-token" {
				return assert.AnError
			}
			return nil
		},
	})
	t.Cleanup(srv.Close)
	client, err := signalr.NewClient(srv.URL, fakeCredential{}, &signalr.ClientOptions{ClientOptions: azcore.ClientOptions{
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{MaxRetries: -1},
	}})
	require.NoError(t, err)
	n := mustNew(t, client, nil)
	n.now = clock

	first, err := n.Negotiate(ctx, "chat", nil)
	require.NoError(t, err)
	require.True(t, emulatorAccepts(t, ctx, first))
	kid1 := kidOf(t, first.AccessToken)
	require.NotEmpty(t, kid1)

	// 100 minutes on: the service's key (90 minutes) is gone, ours is due for refresh but still
	// served while one background request renews it.
	offset.Store(int64(100 * time.Minute))
	stale, err := n.Negotiate(ctx, "chat", nil)
	require.NoError(t, err)
	assert.Equal(t, kid1, kidOf(t, stale.AccessToken))
	assert.False(t, emulatorAccepts(t, ctx, stale), "the service no longer knows the old key")
	n.eps[0].keys.mu.Lock()
	f := n.eps[0].keys.inflight
	n.eps[0].keys.mu.Unlock()
	if f != nil {
		<-f.done
	}

	fresh, err := n.Negotiate(ctx, "chat", nil)
	require.NoError(t, err)
	assert.NotEqual(t, kid1, kidOf(t, fresh.AccessToken), "the refreshed key is used")
	assert.True(t, emulatorAccepts(t, ctx, fresh))
}
