package trigger

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	primaryKey   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
	secondaryKey = "SecondaryAccessKeyForTests0123456789abcdefgh="
	goldenConnID = "Mmj0ZGzr7JOQ5NHz8aRyxQbd7f1b4c1"
)

var bothKeys = &ParseOptions{AccessKeys: []string{primaryKey, secondaryKey}}

// loadRequest reads a request recorded in testdata/requests as the service
// sends it (raw HTTP/1.1).
func loadRequest(t testing.TB, name string) *http.Request {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "requests", name+".http"))
	require.NoError(t, err)
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	require.NoError(t, err)
	return r
}

func TestSignatureMatchesService(t *testing.T) {
	// Computed independently (Python hmac) for the emulator's fixed key; lowercase, as real
	// service traffic shows.
	assert.Equal(t, "sha256=bd054764579e7dde8e14695c61f892409e3c35e18b1f1623e7378914ff430efa", Signature(primaryKey, goldenConnID))
}

// The service sends lowercase hex, one entry per key separated by ", "; Microsoft's local
// emulator sends uppercase hex separated by "," (Emulator/Common/Utils.cs, BitConverter). Both
// verify, whichever key matches and in whichever position.
func TestVerifySignatureHeaderFormats(t *testing.T) {
	lower := func(key string) string { return Signature(key, "c1") }
	upper := func(key string) string { return "sha256=" + strings.ToUpper(Signature(key, "c1")[7:]) }
	tests := []struct {
		name   string
		header string
		keys   []string
		ok     bool
	}{
		{"service, primary matches", lower(primaryKey) + ", " + lower(secondaryKey), []string{primaryKey}, true},
		{"service, secondary matches", lower(primaryKey) + ", " + lower(secondaryKey), []string{secondaryKey}, true},
		{"service, rotated key", lower("old") + ", " + lower(secondaryKey), []string{primaryKey, secondaryKey}, true},
		{"emulator, primary matches", upper(primaryKey) + "," + upper(secondaryKey), []string{primaryKey}, true},
		{"emulator, secondary matches", upper(primaryKey) + "," + upper(secondaryKey), []string{secondaryKey}, true},
		{"mixed case and spacing", "  " + upper("old") + " ,  " + lower(primaryKey) + "  ", []string{primaryKey}, true},
		{"service, no key matches", lower("a") + ", " + lower("b"), []string{primaryKey}, false},
		{"emulator, no key matches", upper("a") + "," + upper("b"), []string{primaryKey}, false},
		{"another connection's signature", Signature(primaryKey, "c2"), []string{primaryKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newUpstream(t, `{"type":1,"target":"send","arguments":[]}`, ContentTypeJSON, func(h http.Header) {
				h.Set(HeaderSignature, tt.header)
			})
			_, err := Parse(r, &ParseOptions{AccessKeys: tt.keys})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSignature)
		})
	}
}

func TestParseGoldenRequests(t *testing.T) {
	claims := map[string]string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": "alice",
		"aud": "http://localhost:8888/client/?hub=chat", "exp": "1795000000", "nbf": "1794996400",
		"iat": "1794996400", "asrs.s.uid": "alice", "role": "admin",
	}
	query := map[string]string{"hub": "chat", "id": "Qm9ndXNUb2tlbg", "lang": "en,fr"}
	tests := []struct {
		name      string
		category  string
		event     string
		invID     string
		protocol  string
		userID    string
		errText   string
		arguments []string
	}{
		{"connected", "connections", "connected", "", "json", "alice", "", nil},
		{"disconnected", "connections", "disconnected", "", "json", "", "Connection closed with an error. WebSocketException: The remote party closed the WebSocket connection without completing the close handshake.", nil},
		{"disconnected_clean", "connections", "disconnected", "", "json", "", "", nil},
		{"send_json", "messages", "broadcast", "", "json", "alice", "", []string{`"alice"`, `"hello world"`}},
		{"invoke_json", "messages", "echo", "0", "json", "alice", "", []string{`"alice"`, `"hello world"`}},
		{"invoke_json_rs", "messages", "echo", "1", "json", "alice", "", []string{`"alice"`, `"hello world"`}},
		{"send_msgpack", "messages", "broadcast", "", "messagepack", "alice", "", []string{`"alice"`, `"hello world"`}},
		{"invoke_msgpack", "messages", "echo", "0", "messagepack", "alice", "", []string{`"alice"`, `"hello world"`}},
		{"invoke_msgpack_6", "messages", "echo", "3", "messagepack", "alice", "", []string{`"alice"`, `"hello world"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse(loadRequest(t, tt.name), bothKeys)
			require.NoError(t, err)
			assert.Equal(t, tt.category, inv.Category)
			assert.Equal(t, tt.event, inv.Event)
			assert.Equal(t, "chat", inv.Hub)
			assert.Equal(t, goldenConnID, inv.ConnectionID)
			assert.Equal(t, tt.userID, inv.UserID)
			assert.Equal(t, tt.invID, inv.InvocationID)
			assert.Equal(t, tt.invID != "", inv.IsInvoke())
			assert.Equal(t, tt.protocol, inv.Protocol)
			assert.Equal(t, tt.errText, inv.Error)
			assert.Equal(t, query, inv.Query, "access_token is dropped")
			if tt.userID != "" {
				assert.Equal(t, claims, inv.Claims, "first value wins")
			} else {
				assert.Empty(t, inv.Claims)
			}
			var args []string
			for _, a := range inv.Arguments {
				args = append(args, string(a))
			}
			assert.Equal(t, tt.arguments, args)
			assert.Equal(t, "?hub=chat&id=Qm9ndXNUb2tlbg&lang=en&lang=fr", inv.Header(HeaderClientQuery))
			assert.Equal(t, tt.event, inv.Header("x-asrs-event"))
			assert.Empty(t, inv.Header(HeaderSignature), "credentials are not copied")
			if tt.category == CategoryMessages {
				var user, text string
				require.NoError(t, inv.Bind(&user, &text))
				assert.Equal(t, "alice", user)
				assert.Equal(t, "hello world", text)
			}
		})
	}
}

func TestParseSignatures(t *testing.T) {
	primary := &ParseOptions{AccessKeys: []string{primaryKey}}
	secondary := &ParseOptions{AccessKeys: []string{secondaryKey}}
	tests := []struct {
		request string
		opts    *ParseOptions
		ok      bool
	}{
		{"send_json", primary, true},
		{"send_json", secondary, true},
		{"send_json", bothKeys, true},
		{"signed_primary_only", primary, true},
		{"signed_primary_only", secondary, false},
		{"signed_primary_only", bothKeys, true},
		{"signed_secondary_only", primary, false},
		{"signed_secondary_only", secondary, true},
		{"signed_secondary_only", &ParseOptions{AccessKeys: []string{"", "other", secondaryKey}}, true},
		{"signed_repeated_lowercase", primary, true},
		{"signed_repeated_lowercase", secondary, true},
		{"forged_signature", bothKeys, false},
		{"replayed_signature", bothKeys, false},
		{"missing_signature", bothKeys, false},
		{"send_json", nil, false},
		{"send_json", &ParseOptions{}, false},
		{"forged_signature", &ParseOptions{InsecureSkipSignature: true}, true},
		{"missing_signature", &ParseOptions{InsecureSkipSignature: true}, true},
	}
	for _, tt := range tests {
		name := tt.request
		if tt.opts != nil {
			name += "/" + strings.Join(tt.opts.AccessKeys, "+")
		}
		t.Run(name, func(t *testing.T) {
			_, err := Parse(loadRequest(t, tt.request), tt.opts)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidSignature)
			assert.NotContains(t, err.Error(), primaryKey)
			assert.NotContains(t, err.Error(), secondaryKey)
			assert.NotContains(t, err.Error(), "bd0547")
			assert.NotContains(t, err.Error(), "BD0547")
		})
	}
}

func TestVerifySignatureEntries(t *testing.T) {
	good := Signature(primaryKey, "c1")
	tests := []struct {
		name    string
		headers []string
		ok      bool
	}{
		{"exact", []string{good}, true},
		{"uppercase hex", []string{"sha256=" + strings.ToUpper(good[7:])}, true},
		{"uppercase prefix", []string{"SHA256=" + good[7:]}, true},
		{"spaces", []string{"  " + good + "  "}, true},
		{"second of list", []string{"sha256=00," + good}, true},
		{"second header", []string{"junk", good}, true},
		{"missing prefix", []string{good[7:]}, false},
		{"other algorithm", []string{"sha1=" + good[7:]}, false},
		{"short", []string{good[:len(good)-2]}, false},
		{"bad hex", []string{good[:len(good)-1] + "g"}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifySignature("c1", tt.headers, []string{primaryKey})
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidSignature)
			}
		})
	}
}

func newUpstream(t testing.TB, body, ctype string, mutate func(http.Header)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/runtime/webhooks/signalr", strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	r.Header.Set(HeaderConnectionID, "c1")
	r.Header.Set(HeaderHub, "chat")
	r.Header.Set(HeaderCategory, CategoryMessages)
	r.Header.Set(HeaderEvent, "send")
	r.Header.Set(HeaderSignature, Signature(primaryKey, "c1"))
	if mutate != nil {
		mutate(r.Header)
	}
	return r
}

func TestParseErrors(t *testing.T) {
	const inv = `{"type":1,"target":"send","arguments":["a"]}`
	del := func(name string) func(http.Header) { return func(h http.Header) { h.Del(name) } }
	set := func(name, v string) func(http.Header) { return func(h http.Header) { h.Set(name, v) } }
	tests := []struct {
		name   string
		body   string
		ctype  string
		mutate func(http.Header)
		opts   *ParseOptions
		want   error
		msg    string
	}{
		{"no connection id", inv, "application/json", del(HeaderConnectionID), nil, ErrNotSignalRRequest, "no X-ASRS-Connection-Id header"},
		{"no hub", inv, "application/json", del(HeaderHub), nil, ErrNotSignalRRequest, "no X-ASRS-Hub header"},
		{"no category", inv, "application/json", del(HeaderCategory), nil, ErrNotSignalRRequest, "no X-ASRS-Category"},
		{"no event", inv, "application/json", del(HeaderEvent), nil, ErrNotSignalRRequest, "no X-ASRS-Event"},
		{"unknown category", inv, "application/json", set(HeaderCategory, "streams"), nil, ErrNotSignalRRequest, "want messages or connections"},
		{"unknown connection event", inv, "application/json", func(h http.Header) { h.Set(HeaderCategory, "connections"); h.Set(HeaderEvent, "reconnected") }, nil, ErrNotSignalRRequest, "want connected or disconnected"},
		{"text/plain", inv, "text/plain", nil, nil, ErrUnsupportedContentType, `Content-Type "text/plain": want application/json or application/x-msgpack`},
		{"no content type", inv, "", nil, nil, ErrUnsupportedContentType, "Content-Type"},
		{"octet-stream", inv, "application/octet-stream", nil, nil, ErrUnsupportedContentType, "Content-Type"},
		{"not json", "hello", "application/json", nil, nil, ErrMalformedBody, "malformed JSON message"},
		{"empty invocation body", "", "application/json", nil, nil, ErrMalformedBody, "empty JSON message"},
		{"json body as msgpack", inv, "application/x-msgpack", nil, nil, ErrMalformedBody, "MessagePack"},
		{"completion instead of invocation", `{"type":3,"invocationId":"1"}`, "application/json", nil, nil, ErrMalformedBody, "want an Invocation (1)"},
		{"target mismatch", `{"type":1,"target":"other","arguments":[]}`, "application/json", nil, nil, ErrMalformedBody, `target "other" does not match X-ASRS-Event "send"`},
		{"bad disconnected body", "{", "application/json", func(h http.Header) { h.Set(HeaderCategory, "connections"); h.Set(HeaderEvent, "disconnected") }, nil, ErrMalformedBody, "disconnected body"},
		{"too large", `{"type":1,"target":"send","arguments":["` + strings.Repeat("x", 100) + `"]}`, "application/json", nil, &ParseOptions{AccessKeys: []string{primaryKey}, MaxBodySize: 64}, ErrTooLarge, "exceeds the 64-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts == nil {
				opts = &ParseOptions{AccessKeys: []string{primaryKey}}
			}
			_, err := Parse(newUpstream(t, tt.body, tt.ctype, tt.mutate), opts)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
			for _, other := range []error{ErrNotSignalRRequest, ErrInvalidSignature, ErrUnsupportedContentType, ErrTooLarge, ErrMalformedBody} {
				if other != tt.want {
					assert.False(t, errors.Is(err, other), "also %v", other)
				}
			}
		})
	}
}

func TestParseTolerance(t *testing.T) {
	opts := &ParseOptions{AccessKeys: []string{primaryKey}}
	t.Run("content type parameters and case", func(t *testing.T) {
		inv, err := Parse(newUpstream(t, `{"type":1,"target":"send","arguments":[]}`, "Application/JSON; charset=utf-8", nil), opts)
		require.NoError(t, err)
		assert.Equal(t, "json", inv.Protocol)
	})
	t.Run("event case differs from target", func(t *testing.T) {
		inv, err := Parse(newUpstream(t, `{"type":1,"target":"Send","arguments":[]}`, "application/json", set(HeaderEvent, "SEND")), opts)
		require.NoError(t, err)
		assert.Equal(t, "SEND", inv.Event)
	})
	t.Run("category and connection event case", func(t *testing.T) {
		inv, err := Parse(newUpstream(t, `{"type":10}`, "application/json", func(h http.Header) {
			h.Set(HeaderCategory, "Connections")
			h.Set(HeaderEvent, "Connected")
		}), opts)
		require.NoError(t, err)
		assert.Equal(t, CategoryConnections, inv.Category)
		assert.Equal(t, EventConnected, inv.Event)
	})
	t.Run("empty connected body", func(t *testing.T) {
		_, err := Parse(newUpstream(t, "", "application/json", func(h http.Header) {
			h.Set(HeaderCategory, "connections")
			h.Set(HeaderEvent, "connected")
		}), opts)
		require.NoError(t, err)
	})
	t.Run("disconnected lowercase names", func(t *testing.T) {
		inv, err := Parse(newUpstream(t, `{"type":11,"error":"gone"}`, "application/json", func(h http.Header) {
			h.Set(HeaderCategory, "connections")
			h.Set(HeaderEvent, "disconnected")
		}), opts)
		require.NoError(t, err)
		assert.Equal(t, "gone", inv.Error)
	})
	t.Run("repeated and comma-joined headers", func(t *testing.T) {
		inv, err := Parse(newUpstream(t, `{"type":1,"target":"send","arguments":[]}`, "application/json", func(h http.Header) {
			h.Set(HeaderSignature, "sha256=00")
			h.Add(HeaderSignature, Signature(primaryKey, "c1"))
			h.Add(HeaderUserClaims, "a: 1, b: 2")
			h.Add(HeaderUserClaims, "a: 3, c: x: y")
			h.Add("X-Custom", "v1")
			h.Add("X-Custom", "v2")
			h.Set("Authorization", "Bearer secret-token")
		}), opts)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"a": "1", "b": "2", "c": "x: y"}, inv.Claims)
		assert.Equal(t, "v1,v2", inv.Header("X-Custom"))
		assert.Empty(t, inv.Header("Authorization"), "bearer tokens are not copied")
		assert.Empty(t, inv.Arguments)
		require.NoError(t, inv.Bind())
	})
	t.Run("chunked body within limit", func(t *testing.T) {
		r := newUpstream(t, `{"type":1,"target":"send","arguments":["x"]}`, "application/json", nil)
		r.ContentLength = -1
		inv, err := Parse(r, opts)
		require.NoError(t, err)
		assert.Len(t, inv.Arguments, 1)
	})
	t.Run("chunked body over limit", func(t *testing.T) {
		r := newUpstream(t, `{"type":1,"target":"send","arguments":["`+strings.Repeat("x", DefaultMaxBodySize)+`"]}`, "application/json", nil)
		r.ContentLength = -1
		_, err := Parse(r, opts)
		require.ErrorIs(t, err, ErrTooLarge)
	})
}

func set(name, v string) func(http.Header) { return func(h http.Header) { h.Set(name, v) } }

func TestParseTruncatedBodies(t *testing.T) {
	_, err := Parse(loadRequest(t, "truncated_body"), bothKeys)
	require.ErrorIs(t, err, ErrMalformedBody)
	assert.Contains(t, err.Error(), "reading body")
	_, err = Parse(loadRequest(t, "truncated_msgpack"), bothKeys)
	require.ErrorIs(t, err, ErrMalformedBody)
}

func TestQueryAndClaims(t *testing.T) {
	assert.Equal(t, map[string]string{}, parseQuery(""))
	assert.Equal(t, map[string]string{}, parseQuery("?"))
	assert.Equal(t, map[string]string{"a": "1,2", "b": ""}, parseQuery("?a=1&b&a=2&access_token=x"))
	assert.Equal(t, map[string]string{"ok": "1"}, parseQuery("ok=1&bad=%zz"))
	assert.Equal(t, "?a=1&b=2", stripAccessToken("?a=1&access_token=x&b=2"))
	assert.Equal(t, "a=1", stripAccessToken("access%5Ftoken=x&a=1"))
	assert.Equal(t, "?x=access_token", stripAccessToken("?x=access_token"))
}

// X-ASRS-User-Claims is "type: value" per claim joined with ", " and nothing escaped
// (azure-signalr Emulator/Upstreams/HttpUpstreamTrigger.cs adds the strings as header values).
// A part without ": " belongs to the value before it; a part with one is a claim.
func TestParseClaims(t *testing.T) {
	const roleType = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
	tests := []struct {
		name    string
		headers []string
		want    map[string]string
	}{
		{"one claim", []string{"name: Alice"}, map[string]string{"name": "Alice"}},
		{"value with a comma stays whole", []string{"name: Doe, John, " + roleType + ": user"}, map[string]string{"name": "Doe, John", roleType: "user"}},
		{"value with commas and no spaces", []string{"tags: a,b,,c, x: 1"}, map[string]string{"tags": "a,b,,c", "x": "1"}},
		{"value with a colon", []string{"aud: http://localhost:8888/client/?hub=chat, c: x: y"}, map[string]string{"aud": "http://localhost:8888/client/?hub=chat", "c": "x: y"}},
		{"first value of a type wins", []string{"role: admin, role: user"}, map[string]string{"role": "admin"}},
		{"a later duplicate's continuation is not glued to the first", []string{"role: admin, role: user, extra"}, map[string]string{"role": "admin"}},
		{"continuation across header lines", []string{"name: Doe", " John, a: 1"}, map[string]string{"name": "Doe, John", "a": "1"}},
		{"leading parts without a claim are dropped", []string{"novalue, t: v"}, map[string]string{"t": "v"}},
		{"a claim without a type ends the one before", []string{"t: v, : empty, more"}, map[string]string{"t": "v"}},
		{"spaces around types and values", []string{"  t :  v  ,u: w"}, map[string]string{"t": "v", "u": "w"}},
		{"empty", nil, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseClaims(tt.headers))
		})
	}
}

func TestBindMessagePackArguments(t *testing.T) {
	inv, err := Parse(loadRequest(t, "invoke_msgpack"), bothKeys)
	require.NoError(t, err)
	var n int
	err = inv.Bind(nil, &n)
	var ae *ArgumentError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 1, ae.Index)
	assert.Regexp(t, `^trigger: argument 1: cannot decode into \*int: `, err.Error())
}

// Parse and Router check in one order: a request with several faults fails on the first of
// them in both, and Router's status is the one of Parse's sentinel. An unknown category or
// event is only reported to a caller whose signature is valid.
func TestParseAndRouterCheckInOneOrder(t *testing.T) {
	const inv = `{"type":1,"target":"send","arguments":["a"]}`
	forged := func(h http.Header) { h.Set(HeaderSignature, Signature("forged", h.Get(HeaderConnectionID))) }
	both := func(fs ...func(http.Header)) func(http.Header) {
		return func(h http.Header) {
			for _, f := range fs {
				f(h)
			}
		}
	}
	tests := []struct {
		name   string
		ctype  string
		mutate func(http.Header)
		want   error
		status int
	}{
		{"no connection id and a forged signature", "application/json", both(forged, func(h http.Header) { h.Del(HeaderConnectionID) }), ErrNotSignalRRequest, 400},
		{"bad content type and a forged signature", "text/plain", forged, ErrUnsupportedContentType, 415},
		{"no hub and a forged signature", "application/json", both(forged, func(h http.Header) { h.Del(HeaderHub) }), ErrNotSignalRRequest, 400},
		{"unknown category and a forged signature", "application/json", both(forged, func(h http.Header) { h.Set(HeaderCategory, "streams") }), ErrInvalidSignature, 401},
		{"unknown event and a forged signature", "application/json", both(forged, func(h http.Header) {
			h.Set(HeaderCategory, CategoryConnections)
			h.Set(HeaderEvent, "reconnected")
		}), ErrInvalidSignature, 401},
		{"unknown category, signed", "application/json", func(h http.Header) { h.Set(HeaderCategory, "streams") }, ErrNotSignalRRequest, 404},
	}
	opts := &ParseOptions{AccessKeys: []string{primaryKey}}
	r := mustRouter(t, &RouterOptions{ParseOptions: *opts})
	require.NoError(t, r.OnMessage("chat", "send", func(ctx context.Context, inv *Invocation, a string) error { return nil }))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(newUpstream(t, inv, tt.ctype, tt.mutate), opts)
			require.ErrorIs(t, err, tt.want)
			rec := serve(r, newUpstream(t, inv, tt.ctype, tt.mutate))
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
		})
	}
}
