package signalr_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// uriRecorder is a raw loopback server that records the request target of every request as it
// came off the wire (r.RequestURI, before any normalization) and answers each operation with a
// body its client accepts.
type uriRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	uris []string
}

func newURIRecorder(t *testing.T) *uriRecorder {
	t.Helper()
	rec := &uriRecorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.uris = append(rec.uris, r.RequestURI)
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/:invoke"):
			_, _ = w.Write([]byte(`{"result":null}`))
		case r.Method == http.MethodGet:
			_, _ = w.Write([]byte(`{"value":[]}`))
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *uriRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.uris
	r.uris = nil
	return out
}

// hasDotSegment reports whether the path of a request target has a "." or ".." segment once
// percent-decoded, which is how Kestrel reads it: it decodes the path, then removes dot segments
// (aspnetcore src/Servers/Kestrel/Core/src/Internal/Http/PathNormalizer.cs, DecodePath). So an
// encoded %2E%2E is as dangerous as a literal "..".
func hasDotSegment(requestURI string) bool {
	path, _, _ := strings.Cut(requestURI, "?")
	for _, seg := range strings.Split(path, "/") {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '/' || r == '\\' }) {
			if part == "." || part == ".." {
				return true
			}
		}
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// idOperation is one operation that puts a user id, group name or connection id in the path.
type idOperation struct {
	name string
	kind string // what the id is: "user id", "group name" or "connection id"
	hub  func(ctx context.Context, h *signalr.HubClient, id string) error
	fan  func(ctx context.Context, h *signalr.HubClient, id string) error // on a client of two endpoints
}

func idOperations() []idOperation {
	msg := signalr.Message{Target: "m", Arguments: []any{1}}
	return []idOperation{
		{"SendToUser", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToUser(ctx, id, msg, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToUser(ctx, id, msg, nil)
				return err
			}},
		{"SendToGroup", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToGroup(ctx, id, msg, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToGroup(ctx, id, msg, nil)
				return err
			}},
		{"SendToConnection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToConnection(ctx, id, msg, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.SendToConnection(ctx, id, msg, nil)
				return err
			}},
		{"InvokeConnection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.InvokeConnection(ctx, id, msg, nil)
				return err
			}, nil},
		{"AddConnectionToGroup/group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddConnectionToGroup(ctx, id, "c1", nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddConnectionToGroup(ctx, id, "c1", nil)
				return err
			}},
		{"AddConnectionToGroup/connection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddConnectionToGroup(ctx, "g1", id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddConnectionToGroup(ctx, "g1", id, nil)
				return err
			}},
		{"RemoveConnectionFromGroup/group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromGroup(ctx, id, "c1", nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromGroup(ctx, id, "c1", nil)
				return err
			}},
		{"RemoveConnectionFromGroup/connection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromGroup(ctx, "g1", id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromGroup(ctx, "g1", id, nil)
				return err
			}},
		{"RemoveConnectionFromAllGroups", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromAllGroups(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveConnectionFromAllGroups(ctx, id, nil)
				return err
			}},
		{"AddUserToGroup/group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddUserToGroup(ctx, id, "u1", &signalr.AddUserToGroupOptions{TTL: time.Minute})
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddUserToGroup(ctx, id, "u1", nil)
				return err
			}},
		{"AddUserToGroup/user", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddUserToGroup(ctx, "g1", id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.AddUserToGroup(ctx, "g1", id, nil)
				return err
			}},
		{"RemoveUserFromGroup/group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromGroup(ctx, id, "u1", nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromGroup(ctx, id, "u1", nil)
				return err
			}},
		{"RemoveUserFromGroup/user", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromGroup(ctx, "g1", id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromGroup(ctx, "g1", id, nil)
				return err
			}},
		{"RemoveUserFromAllGroups", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromAllGroups(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.RemoveUserFromAllGroups(ctx, id, nil)
				return err
			}},
		{"UserInGroup/group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserInGroup(ctx, id, "u1", nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserInGroup(ctx, id, "u1", nil)
				return err
			}},
		{"UserInGroup/user", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserInGroup(ctx, "g1", id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserInGroup(ctx, "g1", id, nil)
				return err
			}},
		{"ConnectionExists", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.ConnectionExists(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.ConnectionExists(ctx, id, nil)
				return err
			}},
		{"UserExists", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserExists(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.UserExists(ctx, id, nil)
				return err
			}},
		{"GroupExists", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.GroupExists(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.GroupExists(ctx, id, nil)
				return err
			}},
		{"CloseConnection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseConnection(ctx, id, &signalr.CloseConnectionOptions{Reason: "bye"})
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseConnection(ctx, id, nil)
				return err
			}},
		{"CloseGroupConnections", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseGroupConnections(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseGroupConnections(ctx, id, nil)
				return err
			}},
		{"CloseUserConnections", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseUserConnections(ctx, id, nil)
				return err
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.CloseUserConnections(ctx, id, nil)
				return err
			}},
		{"NewListGroupConnectionsPager", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				_, err := h.NewListGroupConnectionsPager(id, nil).NextPage(ctx)
				return err
			}, nil},
		{"Apply/message to user", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", UserID: id})
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", UserID: id})
			}},
		{"Apply/message to group", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", GroupName: id})
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", GroupName: id})
			}},
		{"Apply/message to connection", "connection id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", ConnectionID: id})
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.Message{Target: "m", ConnectionID: id})
			}},
		{"Apply/user removeAll", "user id",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.GroupAction{UserID: id, Action: signalr.GroupActionRemoveAll})
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.GroupAction{UserID: id, Action: signalr.GroupActionRemoveAll})
			}},
		{"Apply/connection add", "group name",
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.GroupAction{ConnectionID: "c1", GroupName: id, Action: signalr.GroupActionAdd})
			},
			func(ctx context.Context, h *signalr.HubClient, id string) error {
				return h.Apply(ctx, signalr.GroupAction{ConnectionID: "c1", GroupName: id, Action: signalr.GroupActionAdd})
			}},
	}
}

// No user id, group name or connection id may change the path of a REST request: behind any
// normalizing hop, SendToUser("..") would become a broadcast (POST /api/hubs/chat/:send) and
// CloseUserConnections("..") would close every connection. Encoding the segment as %2E%2E does
// not help, since Kestrel decodes before it normalizes, so such ids are refused before any
// request is sent; every other id, dots included, reaches the wire escaped.
func TestIDsNeverChangeTheRESTPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec := newURIRecorder(t)
	key := signalr.NewAccessKeyCredential("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH")
	client, err := signalr.NewClientWithAccessKey(rec.URL, key, nil)
	require.NoError(t, err)
	hub := hubOf(t, client, "chat")
	multi, err := signalr.NewClientWithEndpoints([]signalr.Endpoint{{Name: "a", Client: client}, {Name: "b", Client: client}}, nil)
	require.NoError(t, err)
	defer multi.Close()
	fan := hubOf(t, multi, "chat")

	dotIDs := []string{".", "..", "a/..", "../x", `..\x`, `x\.`, "./."}
	// Dots that are not a whole segment are ordinary characters and must keep working.
	plainIDs := []string{"...", ".a", "a.", "a..b", "%2E%2E", "..a/b"}

	for _, op := range idOperations() {
		t.Run(op.name, func(t *testing.T) {
			for _, id := range dotIDs {
				err := op.hub(ctx, hub, id)
				require.Errorf(t, err, "HubClient.%s(%q) was accepted", op.name, id)
				assert.Contains(t, err.Error(), op.kind)
				assert.Contains(t, err.Error(), "dot segment")
				if op.fan != nil {
					err := op.fan(ctx, fan, id)
					require.Errorf(t, err, "HubClient of two endpoints: %s(%q) was accepted", op.name, id)
					assert.Contains(t, err.Error(), "dot segment")
				}
				assert.Empty(t, rec.take(), "%s(%q) sent a request", op.name, id)
			}
			for _, id := range plainIDs {
				require.NoErrorf(t, op.hub(ctx, hub, id), "HubClient.%s(%q)", op.name, id)
				if op.fan != nil {
					require.NoErrorf(t, op.fan(ctx, fan, id), "HubClient of two endpoints: %s(%q)", op.name, id)
				}
				uris := rec.take()
				require.NotEmpty(t, uris, "%s(%q) sent nothing", op.name, id)
				for _, uri := range uris {
					assert.Falsef(t, hasDotSegment(uri), "%s(%q) put a dot segment on the wire: %s", op.name, id, uri)
					assert.Containsf(t, uri, url.PathEscape(id), "%s(%q): %s", op.name, id, uri)
				}
			}
		})
	}
}

func TestHasDotSegment(t *testing.T) {
	for uri, want := range map[string]bool{
		"/api/hubs/chat/users/../:send":       true,
		"/api/hubs/chat/users/%2E%2E/:send":   true,
		"/api/hubs/chat/users/%2e/:send":      true,
		"/api/hubs/chat/users/a%2F..%2F/x":    true,
		"/api/hubs/chat/users/...":            false,
		"/api/hubs/chat/users/%252E%252E/x":   false,
		"/api/hubs/chat/users/a.b/:send?x=..": false,
	} {
		assert.Equal(t, want, hasDotSegment(uri), uri)
	}
}
