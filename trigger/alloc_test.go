package trigger

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocatedBytes reports how many bytes f allocates on the heap (runtime.MemStats.TotalAlloc,
// which counts every allocation, freed or not). Parse runs on the calling goroutine, so
// nothing else in this test allocates meanwhile; other tests of the package do not run in
// parallel with it.
func allocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// mpInvocation is a MessagePack Invocation of "send" whose argument array has count elements,
// written in args.
func mpInvocation(count int, args []byte) string {
	b := []byte{0x95, 0x01, 0x80, 0xc0, 0xa4, 's', 'e', 'n', 'd', 0xdd, byte(count >> 24), byte(count >> 16), byte(count >> 8), byte(count)}
	return string(append(b, args...))
}

// mpArray32 is a MessagePack array header for n elements followed by them.
func mpArray32(n int, elems []byte) []byte {
	return append([]byte{0xdd, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, elems...)
}

// Parse allocates at most about ten times the body, whatever the body holds: without a bound,
// a megabyte of one-byte MessagePack nils, each an argument, cost about 90 MB (a 48-byte Value
// and a JSON copy per byte), and JSON "0," arguments about 100 MB. Every body here is about
// 1 MiB; the largest is accepted by MaxBodySize.
func TestParseAllocatesBoundedMemory(t *testing.T) {
	const size = 1 << 20
	const maxRatio = 10
	nils := func(n int) []byte { return bytes.Repeat([]byte{0xc0}, n) }
	tests := []struct {
		name    string
		body    string
		ctype   string
		wantErr error // nil: accepted
	}{
		{"MessagePack nils as arguments", mpInvocation(size-14, nils(size-14)), ContentTypeMessagePack, ErrMalformedBody},
		{"JSON zeros as arguments", `{"type":1,"target":"send","arguments":[` + strings.Repeat("0,", size/2-24) + `0]}`, ContentTypeJSON, ErrMalformedBody},
		{"JSON nulls as arguments", `{"type":1,"target":"send","arguments":[` + strings.Repeat("null,", size/5-10) + `null]}`, ContentTypeJSON, ErrMalformedBody},
		{"MessagePack array of nils", mpInvocation(1, mpArray32(size-19, nils(size-19))), ContentTypeMessagePack, nil},
		{"MessagePack array of empty maps", mpInvocation(1, mpArray32(size-19, bytes.Repeat([]byte{0x80}, size-19))), ContentTypeMessagePack, nil},
		{"MessagePack array of false", mpInvocation(1, mpArray32(size-19, bytes.Repeat([]byte{0xc2}, size-19))), ContentTypeMessagePack, nil},
		{"MessagePack strings of control characters", mpInvocation(1, mpArray32(size/33, bytes.Repeat(append([]byte{0xbf}, bytes.Repeat([]byte{0x01}, 31)...), size/33))), ContentTypeMessagePack, nil},
		{"MessagePack nested arrays", mpInvocation(1, append(bytes.Repeat([]byte{0x91}, size-15), 0xc0)), ContentTypeMessagePack, ErrMalformedBody},
		{"JSON array of zeros", `{"type":1,"target":"send","arguments":[[` + strings.Repeat("0,", size/2-24) + `0]]}`, ContentTypeJSON, nil},
		{"JSON nested arrays", `{"type":1,"target":"send","arguments":[` + strings.Repeat("[", size/2-24) + strings.Repeat("]", size/2-24) + `]}`, ContentTypeJSON, ErrMalformedBody},
		{"1024 arguments", mpInvocation(1024, nils(1024)), ContentTypeMessagePack, nil},
	}
	opts := &ParseOptions{AccessKeys: []string{primaryKey}, MaxBodySize: 2 * size}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocatedBytes(func() {
				_, err = Parse(newUpstream(t, tt.body, tt.ctype, nil), opts)
			})
			ratio := float64(n) / float64(len(tt.body))
			t.Logf("%d-byte body: %d bytes allocated (%.1f× the body)", len(tt.body), n, ratio)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if strings.Contains(tt.name, "as arguments") {
					assert.Contains(t, err.Error(), "too many arguments")
					assert.Contains(t, err.Error(), "expected at most 1024")
				}
			} else {
				require.NoError(t, err)
			}
			if len(tt.body) >= size/2 {
				assert.LessOrEqual(t, ratio, float64(maxRatio), "Parse allocated %d bytes for a %d-byte body", n, len(tt.body))
			}
		})
	}
}
