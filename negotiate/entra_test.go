package negotiate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// fakeCredential is an Entra credential that always returns the same token.
type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "entra-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fakeService serves the two endpoints the Entra path uses and counts calls.
type fakeService struct {
	t          *testing.T
	srv        *httptest.Server
	keyCalls   atomic.Int32
	tokenCalls atomic.Int32

	mu        sync.Mutex
	keyStatus int           // non-200 makes accessKey fail
	gate      chan struct{} // when set, accessKey waits for it
	tokenPath string
	tokenQ    string
}

func newFakeService(t *testing.T) *fakeService {
	f := &fakeService{t: t, keyStatus: http.StatusOK}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeService) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer entra-token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/auth/accessKey":
		n := f.keyCalls.Add(1)
		f.mu.Lock()
		status, gate := f.keyStatus, f.gate
		f.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if status != http.StatusOK {
			w.Header().Set("x-ms-error-code", "Forbidden")
			w.WriteHeader(status)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"KeyId": "kid-" + itoa(int64(n)), "AccessKey": "secret-" + itoa(int64(n))})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/:generateToken"):
		f.tokenCalls.Add(1)
		f.mu.Lock()
		f.tokenPath, f.tokenQ = r.URL.Path, r.URL.RawQuery
		f.mu.Unlock()
		_, _ = w.Write([]byte(`{"token":"service-minted"}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *fakeService) setKeyStatus(s int) {
	f.mu.Lock()
	f.keyStatus = s
	f.mu.Unlock()
}

// entraNegotiator returns a Negotiator for the fake service with a clock the test moves.
func entraNegotiator(t *testing.T, f *fakeService, app string) (*Negotiator, *atomic.Int64) {
	client, err := signalr.NewClient(f.srv.URL, fakeCredential{}, &signalr.ClientOptions{
		ApplicationName: app,
		ClientOptions: azcore.ClientOptions{
			InsecureAllowCredentialWithHTTP: true,
			Retry:                           policy.RetryOptions{MaxRetries: -1},
		},
	})
	require.NoError(t, err)
	n := mustNew(t, client, nil)
	var offset atomic.Int64
	n.now = func() time.Time { return testNow.Add(time.Duration(offset.Load())) }
	return n, &offset
}

func (f *fakeService) audience(hub string) string {
	return "http://127.0.0.1/client/?hub=" + hub
}

func TestEntraMintsWithTemporaryKey(t *testing.T) {
	f := newFakeService(t)
	n, offset := entraNegotiator(t, f, "")

	info, err := n.Negotiate(context.Background(), "Chat", &Options{UserID: "alice", Roles: []string{"admin"}})
	require.NoError(t, err)
	assert.Equal(t, f.srv.URL+"/client/?hub=chat", info.URL)
	header, claims := parseTokenAt(t, info.AccessToken, "secret-1", f.audience("chat"), n.now())
	assert.Equal(t, map[string]any{"alg": "HS256", "kid": "kid-1", "typ": "JWT"}, header)
	assert.Equal(t, "alice", claims[ClaimUserID])
	assert.Equal(t, "admin", claims["role"])

	// Within the refresh interval the key is reused.
	offset.Store(int64(54 * time.Minute))
	info, err = n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	header, _ = parseTokenAt(t, info.AccessToken, "secret-1", f.audience("chat"), n.now())
	assert.Equal(t, "kid-1", header["kid"])
	assert.EqualValues(t, 1, f.keyCalls.Load())
	assert.Zero(t, f.tokenCalls.Load())
}

func TestEntraRefreshesInBackground(t *testing.T) {
	f := newFakeService(t)
	n, offset := entraNegotiator(t, f, "")
	_, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)

	// Past 55 minutes the old key still answers at once while one refresh runs.
	offset.Store(int64(56 * time.Minute))
	f.mu.Lock()
	f.gate = make(chan struct{})
	gate := f.gate
	f.mu.Unlock()
	for range 5 {
		info, err := n.Negotiate(context.Background(), "chat", nil)
		require.NoError(t, err)
		header, _ := parseTokenAt(t, info.AccessToken, "secret-1", f.audience("chat"), n.now())
		assert.Equal(t, "kid-1", header["kid"])
	}
	close(gate)
	require.Eventually(t, func() bool {
		info, err := n.Negotiate(context.Background(), "chat", nil)
		require.NoError(t, err)
		return strings.HasPrefix(info.AccessToken, newSigningKey("kid-2", "").header)
	}, 10*time.Second, 5*time.Millisecond)
	assert.EqualValues(t, 2, f.keyCalls.Load(), "one refresh for all callers")
}

func TestEntraStaleKeyWaitsForFreshOne(t *testing.T) {
	f := newFakeService(t)
	n, offset := entraNegotiator(t, f, "")
	_, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)

	offset.Store(int64(121 * time.Minute))
	info, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	header, _ := parseTokenAt(t, info.AccessToken, "secret-2", f.audience("chat"), n.now())
	assert.Equal(t, "kid-2", header["kid"])
}

func TestEntraConcurrentCallersShareOneFetch(t *testing.T) {
	f := newFakeService(t)
	f.gate = make(chan struct{})
	n, _ := entraNegotiator(t, f, "")

	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := n.Negotiate(context.Background(), "chat", &Options{UserID: "u" + itoa(int64(i))})
			if err == nil && !strings.HasPrefix(info.AccessToken, newSigningKey("kid-1", "").header) {
				err = errors.New("token not signed with the shared key")
			}
			errs <- err
		}()
	}
	require.Eventually(t, func() bool { return f.keyCalls.Load() == 1 }, 10*time.Second, time.Millisecond)
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.EqualValues(t, 1, f.keyCalls.Load())
}

func TestEntraCallerContextEndsWait(t *testing.T) {
	f := newFakeService(t)
	f.gate = make(chan struct{})
	n, _ := entraNegotiator(t, f, "")

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.keyCalls.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := n.Negotiate(ctx, "chat", nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorAs(t, err, new(*KeyError), "a caller that gave up is not a key failure")
	assert.Zero(t, f.tokenCalls.Load(), "no fallback for a caller that gave up")

	// The shared request still completes and serves the next caller.
	close(f.gate)
	info, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	parseTokenAt(t, info.AccessToken, "secret-1", f.audience("chat"), n.now())
	assert.EqualValues(t, 1, f.keyCalls.Load())
}

func TestEntraFallsBackToGenerateToken(t *testing.T) {
	cases := []struct {
		name   string
		app    string
		status int
		path   string
	}{
		{name: "forbidden", status: http.StatusForbidden, path: "/api/hubs/chat/:generateToken"},
		{name: "unavailable", status: http.StatusServiceUnavailable, path: "/api/hubs/chat/:generateToken"},
		{name: "application prefix in the path", app: "App", status: http.StatusForbidden, path: "/api/hubs/app_chat/:generateToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeService(t)
			f.setKeyStatus(tc.status)
			n, _ := entraNegotiator(t, f, tc.app)

			info, err := n.Negotiate(context.Background(), "Chat", &Options{UserID: "alice", Lifetime: 89*time.Minute + time.Second})
			require.NoError(t, err)
			assert.Equal(t, "service-minted", info.AccessToken)
			assert.Equal(t, 90*time.Minute, info.TokenLifetime, "whole minutes, as the service counts them")
			f.mu.Lock()
			assert.Equal(t, tc.path, f.tokenPath)
			assert.Contains(t, f.tokenQ, "userId=alice")
			assert.Contains(t, f.tokenQ, "minutesToExpire=90")
			assert.NotContains(t, f.tokenQ, "application=")
			f.mu.Unlock()
		})
	}
}

func TestEntraBacksOffWhileUnauthorized(t *testing.T) {
	f := newFakeService(t)
	f.setKeyStatus(http.StatusForbidden)
	n, offset := entraNegotiator(t, f, "")

	for _, step := range []time.Duration{0, time.Minute, 4 * time.Minute} {
		offset.Store(int64(step))
		info, err := n.Negotiate(context.Background(), "chat", nil)
		require.NoError(t, err)
		assert.Equal(t, "service-minted", info.AccessToken)
	}
	assert.EqualValues(t, 1, f.keyCalls.Load(), "no new key request within five minutes of a 403")
	assert.EqualValues(t, 3, f.tokenCalls.Load())

	// Once the role is granted and the interval passed, local signing resumes.
	f.setKeyStatus(http.StatusOK)
	offset.Store(int64(6 * time.Minute))
	info, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	parseTokenAt(t, info.AccessToken, "secret-2", f.audience("chat"), n.now())
	assert.EqualValues(t, 2, f.keyCalls.Load())
}

func TestEntraTransientFailureRetriesSooner(t *testing.T) {
	f := newFakeService(t)
	f.setKeyStatus(http.StatusServiceUnavailable)
	n, offset := entraNegotiator(t, f, "")
	_, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	offset.Store(int64(5 * time.Second))
	_, err = n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.keyCalls.Load())
	offset.Store(int64(11 * time.Second))
	f.setKeyStatus(http.StatusOK)
	info, err := n.Negotiate(context.Background(), "chat", nil)
	require.NoError(t, err)
	parseTokenAt(t, info.AccessToken, "secret-2", f.audience("chat"), n.now())
}

func TestEntraFallbackRefusesWhatGenerateTokenCannotCarry(t *testing.T) {
	f := newFakeService(t)
	f.setKeyStatus(http.StatusForbidden)
	n, _ := entraNegotiator(t, f, "")

	_, err := n.Negotiate(context.Background(), "chat", &Options{UserID: "alice", Claims: []Claim{{"name", "Alice"}}, Roles: []string{"admin"}, DiagnosticClient: true})
	require.Error(t, err)
	var keyErr *KeyError
	require.ErrorAs(t, err, &keyErr)
	var respErr *azcore.ResponseError
	require.ErrorAs(t, err, &respErr)
	assert.Equal(t, http.StatusForbidden, respErr.StatusCode)
	assert.Contains(t, err.Error(), "cannot carry claims, roles, DiagnosticClient")
	assert.Contains(t, err.Error(), "SignalR Service Owner")
	assert.Zero(t, f.tokenCalls.Load())
}

func TestEntraBothPathsFail(t *testing.T) {
	f := newFakeService(t)
	f.setKeyStatus(http.StatusForbidden)
	n, _ := entraNegotiator(t, f, "")
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.keyCalls.Add(1)
		w.WriteHeader(http.StatusForbidden)
	})
	_, err := n.Negotiate(context.Background(), "chat", &Options{UserID: "alice"})
	var keyErr *KeyError
	require.ErrorAs(t, err, &keyErr)
	assert.Contains(t, err.Error(), ":generateToken")
	assert.NotContains(t, err.Error(), "entra-token")

	// The handler hides the service's answer from the browser and logs it for the operator.
	var logs bytes.Buffer
	rec := httptest.NewRecorder()
	mustHandler(t, n, "chat", &HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/negotiate", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"error":"negotiate: the app could not obtain a signing key from Azure SignalR Service; check its identity's SignalR Service Owner role"}`, rec.Body.String())
	assert.Contains(t, logs.String(), "403")
	assert.Contains(t, logs.String(), "hub=chat")
	assert.NotContains(t, logs.String(), "entra-token")
}

func TestEntraHandlerRequestEndsWhileWaiting(t *testing.T) {
	f := newFakeService(t)
	f.gate = make(chan struct{})
	t.Cleanup(func() { close(f.gate) })
	n, _ := entraNegotiator(t, f, "")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	mustHandler(t, n, "chat", nil).ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/negotiate", nil))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.JSONEq(t, `{"error":"negotiate: the request ended before a token was issued"}`, rec.Body.String())
}
