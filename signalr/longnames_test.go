package signalr_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// A group name may have 1024 characters as the service counts them, in UTF-16 code units (.NET
// strings), whatever the script. Such a name escapes to thousands of characters in the URL, so
// the REST token, whose audience is that URL, is far longer than 4096 characters: that limit is
// the service's for client tokens (negotiate answers 413/414), not for REST tokens, and the
// client must neither refuse nor truncate them.
func TestLongGroupNamesInAnyScript(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	var mu sync.Mutex
	var tokenLengths []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Verify the token as the service does: HS256 over the key's UTF-8 bytes, audience the
		// request URL without query.
		raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		aud := "http://" + r.Host + r.URL.EscapedPath()
		_, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return []byte(key), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(aud), jwt.WithExpirationRequired())
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		tokenLengths = append(tokenLengths, len(raw))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	client, err := signalr.NewClientWithAccessKey(srv.URL, signalr.NewAccessKeyCredential(key), nil)
	require.NoError(t, err)
	hub := hubOf(t, client, "chat")
	msg := signalr.Message{Target: "m"}

	for _, tc := range []struct {
		name  string
		group string
		units int // UTF-16 code units
	}{
		{"ASCII", strings.Repeat("g", 1024), 1024},
		{"CJK", strings.Repeat("漢", 1024), 1024},
		{"emoji", strings.Repeat("😀", 512), 1024},
		{"mixed", strings.Repeat("😀", 300) + strings.Repeat("é", 424), 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, utf16.Encode([]rune(tc.group)), tc.units)
			_, err := hub.SendToGroup(ctx, tc.group, msg, nil)
			require.NoError(t, err)
			_, err = hub.AddUserToGroup(ctx, tc.group, "u1", nil)
			require.NoError(t, err)
			_, err = hub.CloseGroupConnections(ctx, tc.group, nil)
			require.NoError(t, err)
		})
	}
	mu.Lock()
	longest := 0
	for _, n := range tokenLengths {
		longest = max(longest, n)
	}
	mu.Unlock()
	assert.Greater(t, longest, 4096, "the CJK group's REST token is longer than the client-token limit, and was sent")

	for _, tc := range []struct {
		name  string
		group string
		units int
	}{
		{"ASCII", strings.Repeat("g", 1025), 1025},
		{"CJK", strings.Repeat("漢", 1025), 1025},
		// 513 runes, but 1026 UTF-16 code units: the service refuses it.
		{"emoji", strings.Repeat("😀", 513), 1026},
	} {
		t.Run(tc.name+" too long", func(t *testing.T) {
			_, err := hub.SendToGroup(ctx, tc.group, msg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "expected at most 1024")
			assert.Contains(t, err.Error(), strconv.Itoa(tc.units)+" UTF-16 code units")
		})
	}
}
