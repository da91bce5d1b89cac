package signalr

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// testKey is an access key with characters that differ between its UTF-8 bytes and its
// base64-decoded form, so a test signing with the wrong bytes fails.
const testKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// recordedRequest is what the fake service saw.
type recordedRequest struct {
	Method  string
	Path    string // escaped
	Query   url.Values
	Header  http.Header
	Body    []byte
	Arrived time.Time
}

// fakeService is a loopback HTTP server that records every request and answers with respond.
type fakeService struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recordedRequest
	respond func(w http.ResponseWriter, r *http.Request, attempt int)
}

func newFakeService(t testing.TB, respond func(w http.ResponseWriter, r *http.Request, attempt int)) *fakeService {
	t.Helper()
	f := &fakeService{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recordedRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(),
			Header: r.Header.Clone(), Body: body, Arrived: time.Now(),
		})
		attempt := len(f.reqs)
		f.mu.Unlock()
		if f.respond != nil {
			f.respond(w, r, attempt)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeService) requests() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.reqs...)
}

func (f *fakeService) last(t testing.TB) recordedRequest {
	t.Helper()
	reqs := f.requests()
	require.NotEmpty(t, reqs, "the service saw no request")
	return reqs[len(reqs)-1]
}

// fastRetry keeps retry tests quick without changing which attempts happen.
func fastRetry() policy.RetryOptions {
	return policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: 20 * time.Millisecond}
}

func testOptions() *ClientOptions {
	return &ClientOptions{ClientOptions: azcore.ClientOptions{Retry: fastRetry()}}
}

// newTestClient returns an access-key client for f.
func newTestClient(t testing.TB, f *fakeService, opts *ClientOptions) *Client {
	t.Helper()
	if opts == nil {
		opts = testOptions()
	}
	c, err := NewClientWithAccessKey(f.URL, NewAccessKeyCredential(testKey), opts)
	require.NoError(t, err)
	return c
}

// verifyToken checks the request's bearer token: HS256 over the key's UTF-8 bytes, aud = the
// request URL without query, exp one hour after iat, nbf present.
func verifyToken(t testing.TB, f *fakeService, r recordedRequest, key string) jwt.RegisteredClaims {
	t.Helper()
	auth := r.Header.Get("Authorization")
	require.True(t, strings.HasPrefix(auth, "Bearer "), "Authorization header %q is not a bearer token", auth)
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(strings.TrimPrefix(auth, "Bearer "), &claims,
		func(*jwt.Token) (any, error) { return []byte(key), nil },
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithAudience(f.URL+r.Path),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithNotBeforeRequired(),
	)
	require.NoError(t, err)
	require.Len(t, claims.Audience, 1)
	require.Equal(t, time.Hour, claims.ExpiresAt.Sub(claims.IssuedAt.Time))
	return claims
}

// hubOf returns c's client for hub, failing the test on an invalid name.
func hubOf(t testing.TB, c *Client, hub string) *HubClient {
	t.Helper()
	h, err := c.Hub(hub)
	require.NoError(t, err)
	return h
}

// only returns the connection of a one-endpoint client.
func only(c *Client) *conn {
	if len(c.endpoints) != 1 {
		panic("only: the client has several endpoints")
	}
	return c.endpoints[0].conn
}
