package hubproto

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordEnd(t *testing.T) {
	mp := func(payload string) []byte { return append([]byte{byte(len(payload))}, payload...) }
	cases := []struct {
		name    string
		p       Protocol
		buf     string
		scanned int
		limit   int
		n, next int
		err     error
	}{
		{"json whole", JSON, "{}\x1e{", 0, 0, 3, 0, nil},
		{"json partial", JSON, `{"type":`, 0, 0, 0, 8, ErrIncomplete},
		{"json resumes after scanned bytes", JSON, "abc\x1e", 3, 0, 4, 0, nil},
		{"json scanned past the end is clamped", JSON, "ab", 10, 0, 0, 2, ErrIncomplete},
		{"json negative scanned starts over", JSON, "a\x1e", -5, 0, 2, 0, nil},
		{"json exactly at the limit", JSON, "abcd\x1e", 0, 4, 5, 0, nil},
		{"json one byte over the limit", JSON, "abcde\x1e", 0, 4, 0, 6, ErrTooLarge},
		{"json unterminated over the limit", JSON, "abcde", 0, 4, 0, 5, ErrTooLarge},
		{"handshake uses JSON framing", nil, "{\"protocol\":\"messagepack\",\"version\":1}\x1e\x01", 0, 0, 39, 0, nil},
		{"empty", JSON, "", 0, 0, 0, 0, ErrIncomplete},
		{"msgpack whole", MessagePack, string(mp("abc")) + "x", 0, 0, 4, 0, nil},
		{"msgpack partial", MessagePack, string(mp("abc")[:3]), 0, 0, 0, 0, ErrIncomplete},
		{"msgpack no prefix yet", MessagePack, "", 0, 0, 0, 0, ErrIncomplete},
		{"msgpack over the limit before the body arrives", MessagePack, string(mp("abcde")[:1]), 0, 4, 0, 0, ErrTooLarge},
		{"msgpack prefix over MaxMessageSize", MessagePack, "\xff\xff\xff\xff\x07", 0, 0, 0, 0, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, next, err := RecordEnd(tc.p, []byte(tc.buf), tc.scanned, tc.limit)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.n, n, "record size")
			assert.Equal(t, tc.next, next, "bytes scanned")
		})
	}

	_, _, err := RecordEnd(MessagePack, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 0, 0)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrIncomplete, "a malformed prefix is not a partial one")
}

// A reader that passes back what RecordEnd returned examines each byte once, however small
// the pieces the input arrives in, and finds the same records as ParseFrame on the whole
// input.
func TestRecordEndExaminesEachByteOnce(t *testing.T) {
	var stream []byte
	var want []Message
	big := `"` + string(bytes.Repeat([]byte("q"), 300<<10)) + `"`
	for i := range 4 {
		m := Message{Type: TypeInvocation, Target: "t", Arguments: []Value{jv(`1`)}}
		if i%2 == 1 {
			m.Arguments = []Value{jv(big)}
		}
		var err error
		stream, err = JSON.AppendFrame(stream, &m)
		require.NoError(t, err)
		want = append(want, m)
	}
	for _, piece := range []int{1, 7, 1024} {
		var buf []byte
		var got []Message
		scanned, examined := 0, 0
		for off := 0; off < len(stream); off += piece {
			buf = append(buf, stream[off:min(off+piece, len(stream))]...)
			for {
				n, next, err := RecordEnd(JSON, buf, scanned, 0)
				examined += max(next, n) - scanned
				scanned = next
				if err != nil {
					require.ErrorIs(t, err, ErrIncomplete)
					break
				}
				m, used, err := JSON.ParseFrame(buf[:n])
				require.NoError(t, err)
				require.Equal(t, n, used)
				got = append(got, m)
				buf = buf[n:]
			}
		}
		require.Len(t, got, len(want), "pieces of %d bytes", piece)
		for i := range want {
			assert.Equal(t, canon(t, want[i]), canon(t, got[i]))
		}
		assert.Equal(t, len(stream), examined, "pieces of %d bytes: every byte examined exactly once", piece)
	}
}

// FuzzRecordEnd splits arbitrary input at arbitrary points: resuming from scanned finds the
// same record boundary as a search of the whole buffer, for both framings.
func FuzzRecordEnd(f *testing.F) {
	f.Add([]byte("{}\x1e{\"type\":6}\x1e"), uint8(1), false)
	f.Add([]byte{0x03, 0x91, 0x06, 0xc0, 0x02}, uint8(2), true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, uint8(1), true)
	f.Fuzz(func(t *testing.T, data []byte, piece uint8, binary bool) {
		p := JSON
		if binary {
			p = MessagePack
		}
		step := int(piece%16) + 1
		const limit = 1 << 10
		buf, scanned := []byte(nil), 0
		for off := 0; off < len(data); off += step {
			buf = append(buf, data[off:min(off+step, len(data))]...)
			for {
				n, next, err := RecordEnd(p, buf, scanned, limit)
				wn, _, werr := RecordEnd(p, buf, 0, limit)
				require.Equal(t, wn, n, "resumed and fresh searches agree")
				if err != nil {
					require.Error(t, werr, "a fresh search finds no record either")
					require.Zero(t, n)
					if err != ErrIncomplete {
						return // too large or malformed: the reader stops
					}
					scanned = next
					break
				}
				require.Positive(t, n)
				require.LessOrEqual(t, n, len(buf))
				if !binary {
					require.Equal(t, byte(RecordSeparator), buf[n-1])
					require.Equal(t, -1, bytes.IndexByte(buf[:n-1], RecordSeparator))
				}
				buf, scanned = buf[n:], 0
			}
		}
	})
}
