package signalr

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failThenSucceed answers status to the first failures attempts, then 2xx.
func failThenSucceed(status, failures int, header ...string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt <= failures {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

func TestRetryByStatus(t *testing.T) {
	send := func(ctx context.Context, h *HubClient) error {
		_, err := h.SendToGroup(ctx, "g", Message{Target: "t"}, nil)
		return err
	}
	invoke := func(ctx context.Context, h *HubClient) error {
		_, err := h.InvokeConnection(ctx, "c", Message{Target: "t"}, nil)
		return err
	}
	manage := func(ctx context.Context, h *HubClient) error {
		_, err := h.AddUserToGroup(ctx, "g", "u", nil)
		return err
	}
	exists := func(ctx context.Context, h *HubClient) error {
		_, err := h.UserExists(ctx, "u", nil)
		return err
	}
	tests := []struct {
		name         string
		call         func(context.Context, *HubClient) error
		status       int
		failures     int
		wantAttempts int
		wantStatus   int // 0: success
	}{
		{"send 500 is not retried", send, 500, 1, 1, 500},
		{"invoke 500 is not retried", invoke, 500, 1, 1, 500},
		{"send 502 is retried", send, 502, 1, 2, 0},
		{"send 503 is retried", send, 503, 2, 3, 0},
		{"send 504 is retried", send, 504, 1, 2, 0},
		{"send 408 is retried", send, 408, 1, 2, 0},
		{"send 429 is retried", send, 429, 1, 2, 0},
		{"send 400 is not retried", send, 400, 1, 1, 400},
		{"send 503 gives up after MaxRetries", send, 503, 10, 4, 503},
		{"group management 500 is retried", manage, 500, 1, 2, 0},
		{"existence check 500 is retried", exists, 500, 2, 3, 0},
		{"group management 401 is not retried", manage, 401, 1, 1, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeService(t, failThenSucceed(tt.status, tt.failures))
			err := tt.call(context.Background(), hubOf(t, newTestClient(t, f, nil), "chat"))
			reqs := f.requests()
			assert.Len(t, reqs, tt.wantAttempts)
			for _, r := range reqs {
				verifyToken(t, f, r, testKey) // every attempt is signed
			}
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				return
			}
			var re *azcore.ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.wantStatus, re.StatusCode)
		})
	}
}

func TestRetryResendsTheSameBody(t *testing.T) {
	f := newFakeService(t, failThenSucceed(503, 2))
	h := hubOf(t, newTestClient(t, f, nil), "chat")
	_, err := h.SendToAll(context.Background(), Message{Target: "t", Arguments: []any{"x"}}, nil)
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		assert.Equal(t, `{"target":"t","arguments":["x"]}`, string(r.Body))
	}
}

// A per-call policy.WithRetryOptions replaces the client's retry options, yet a 500 to a send
// still ends it: the message may have been delivered.
func TestSend500NotRetriedEvenWithPerCallOptions(t *testing.T) {
	f := newFakeService(t, failThenSucceed(500, 2))
	h := hubOf(t, newTestClient(t, f, nil), "chat")
	ctx := policy.WithRetryOptions(context.Background(), policy.RetryOptions{
		RetryDelay: time.Millisecond, StatusCodes: []int{500, 503},
	})
	_, err := h.SendToAll(ctx, Message{Target: "t"}, nil)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 500, re.StatusCode)
	assert.Len(t, f.requests(), 1)

	_, err = h.AddConnectionToGroup(ctx, "g", "c", nil)
	require.NoError(t, err, "a non-message operation is retried on 500")
	assert.Len(t, f.requests(), 3)
}

func TestRetryAfter(t *testing.T) {
	t.Run("Retry-After seconds are waited for", func(t *testing.T) {
		f := newFakeService(t, failThenSucceed(503, 1, "Retry-After", "1"))
		opts := testOptions()
		opts.Retry.MaxRetryDelay = 5 * time.Second
		_, err := hubOf(t, newTestClient(t, f, opts), "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
		require.NoError(t, err)
		reqs := f.requests()
		require.Len(t, reqs, 2)
		// The computed delay would be about 1 ms; the second attempt waited for the header.
		assert.GreaterOrEqual(t, reqs[1].Arrived.Sub(reqs[0].Arrived), 900*time.Millisecond)
	})
	t.Run("Retry-After beyond MaxRetryDelay stops retrying", func(t *testing.T) {
		f := newFakeService(t, failThenSucceed(429, 1, "Retry-After", "120"))
		_, err := hubOf(t, newTestClient(t, f, nil), "chat").SendToAll(context.Background(), Message{Target: "t"}, nil)
		var re *azcore.ResponseError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 429, re.StatusCode)
		assert.Len(t, f.requests(), 1)
	})
}

// countingTransport fails every request with err and counts the attempts.
type countingTransport struct {
	err      error
	attempts atomic.Int32
}

func (c *countingTransport) Do(*http.Request) (*http.Response, error) {
	c.attempts.Add(1)
	return nil, c.err
}

func TestTransportErrors(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	readErr := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name         string
		err          error
		message      bool
		wantAttempts int32
	}{
		{"send after a failed dial is retried", dialErr, true, 4},
		{"send that may have reached the service is not retried", readErr, true, 1},
		{"group management is retried on any transport error", readErr, false, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &countingTransport{err: tt.err}
			opts := testOptions()
			opts.Transport = tr
			c, err := NewClientWithAccessKey("https://example.service.signalr.net", NewAccessKeyCredential(testKey), opts)
			require.NoError(t, err)
			h := hubOf(t, c, "chat")
			if tt.message {
				_, err = h.SendToAll(context.Background(), Message{Target: "t"}, nil)
			} else {
				_, err = h.RemoveUserFromAllGroups(context.Background(), "u", nil)
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.err)
			assert.Equal(t, tt.wantAttempts, tr.attempts.Load())
			if tt.message && tt.err == readErr {
				assert.Contains(t, err.Error(), "may have reached the service, so it was not retried")
			}
		})
	}
}

func TestContextCancellationStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		cancel() // the caller gives up while the service is unavailable
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	opts := testOptions()
	opts.Retry.RetryDelay = time.Hour
	opts.Retry.MaxRetryDelay = time.Hour
	_, err := hubOf(t, newTestClient(t, f, opts), "chat").SendToAll(ctx, Message{Target: "t"}, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, f.requests(), 1)

	_, err = hubOf(t, newTestClient(t, f, opts), "chat").SendToAll(ctx, Message{Target: "t"}, nil)
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, f.requests(), 1, "a cancelled context sends nothing")
}

// The retry status set of every operation that delivers a message, pinned over every error
// status: 408, 429, 502, 503 and 504 are retried (the service did not take the message, or a
// gateway lost the answer), every other status is final, 500 above all, since the service
// answers 500 after its runtime timed out on a message it may have delivered. The C# extension
// retries the same set (status > 500, plus 408 and 429).
func TestMessageRetryStatusSet(t *testing.T) {
	msg := Message{Target: "t"}
	ops := map[string]func(context.Context, *HubClient) error{
		"SendToAll": func(ctx context.Context, h *HubClient) error { _, err := h.SendToAll(ctx, msg, nil); return err },
		"SendToUser": func(ctx context.Context, h *HubClient) error {
			_, err := h.SendToUser(ctx, "u", msg, nil)
			return err
		},
		"SendToGroup": func(ctx context.Context, h *HubClient) error {
			_, err := h.SendToGroup(ctx, "g", msg, nil)
			return err
		},
		"SendToConnection": func(ctx context.Context, h *HubClient) error {
			_, err := h.SendToConnection(ctx, "c", msg, nil)
			return err
		},
		"InvokeConnection": func(ctx context.Context, h *HubClient) error {
			_, err := h.InvokeConnection(ctx, "c", msg, nil)
			return err
		},
		"Apply": func(ctx context.Context, h *HubClient) error { return h.Apply(ctx, Message{Target: "t", UserID: "u"}) },
	}
	retried := map[int]bool{408: true, 429: true, 502: true, 503: true, 504: true}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			var got []int
			for status := 400; status < 600; status++ {
				f := newFakeService(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
					if attempt == 1 {
						w.WriteHeader(status)
						return
					}
					if name == "InvokeConnection" {
						_, _ = w.Write([]byte(`{"result":1}`))
						return
					}
					w.WriteHeader(http.StatusAccepted)
				})
				err := op(context.Background(), hubOf(t, newTestClient(t, f, nil), "chat"))
				if n := len(f.requests()); n > 1 {
					got = append(got, status)
					require.NoError(t, err, "status %d was retried, and the retry succeeded", status)
				} else {
					require.Error(t, err, "status %d", status)
				}
				f.Close()
			}
			want := make([]int, 0, len(retried))
			for s := 400; s < 600; s++ {
				if retried[s] {
					want = append(want, s)
				}
			}
			assert.Equal(t, want, got, "statuses retried for %s", name)
		})
	}
}
