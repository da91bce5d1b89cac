package hubproto

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addSeeds adds every golden frame with the given extension.
func addSeeds(f *testing.F, ext string) {
	for _, dir := range []string{"js", "go"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
		for _, name := range files {
			b, err := os.ReadFile(name)
			require.NoError(f, err)
			f.Add(b)
		}
	}
}

// checkRoundTrip re-encodes a decoded message in both protocols and checks
// the result decodes to the same message (when the value converts at all).
func checkRoundTrip(t *testing.T, m Message) {
	for _, p := range protocols() {
		frame, err := p.AppendFrame(nil, &m)
		if err != nil {
			continue // unknown types, upstream-only types, values without a form in p
		}
		back, n, err := p.ParseFrame(frame)
		require.NoError(t, err, "%s re-encoding of %v does not parse: %q", p.Name(), m.Type, frame)
		require.Equal(t, len(frame), n)
		assert.Equal(t, m.Type, back.Type)
		// JSON replaces invalid UTF-8, so only valid strings survive as is.
		sameString := func(a, b string) {
			if utf8.ValidString(a) {
				assert.Equal(t, a, b)
			}
		}
		sameString(m.InvocationID, back.InvocationID)
		sameString(m.Target, back.Target)
		sameString(m.Error, back.Error)
		assert.Equal(t, len(m.Arguments), len(back.Arguments))
		assert.Equal(t, m.HasResult, back.HasResult)
		assert.Equal(t, m.SequenceID, back.SequenceID)
	}
}

func fuzzParseFrame(f *testing.F, p Protocol) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, n, err := p.ParseFrame(data)
		require.GreaterOrEqual(t, n, 0)
		require.LessOrEqual(t, n, len(data))
		if err != nil {
			return
		}
		require.Positive(t, n)
		checkRoundTrip(t, m)
	})
}

func FuzzJSONParseFrame(f *testing.F) {
	addSeeds(f, ".json")
	f.Add([]byte("{\"type\":1,\"target\":\"a\",\"arguments\":[1e400]}\x1e"))
	f.Add([]byte("{\"Type\":11,\"Error\":\"x\"}\x1e"))
	fuzzParseFrame(f, JSON)
}

func FuzzMessagePackParseFrame(f *testing.F) {
	addSeeds(f, ".msgpack")
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80})
	f.Add([]byte{0x07, 0x95, 0x01, 0x80, 0xc0, 0xa1, 'x', 0x91})
	fuzzParseFrame(f, MessagePack)
}

func fuzzUnmarshal(f *testing.F, p Protocol) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := p.Unmarshal(data)
		if err != nil {
			require.NotContains(t, err.Error(), "hubproto: hubproto:")
			return
		}
		checkRoundTrip(t, m)
		// Values convert to the other protocol or fail cleanly.
		for _, a := range m.Arguments {
			if b, err := a.JSON(); err == nil {
				require.True(t, json.Valid(b), "%q", b)
			}
			_, _ = a.MessagePack()
		}
	})
}

func FuzzJSONUnmarshal(f *testing.F) {
	addSeeds(f, ".json")
	f.Add([]byte(`{"type":10}`))
	f.Add([]byte(`{"type":1,"target":"x","arguments":["a",{"b":[1,2.5,null]}]}`))
	fuzzUnmarshal(f, JSON)
}

func FuzzMessagePackUnmarshal(f *testing.F) {
	addSeeds(f, ".msgpack")
	f.Add([]byte{0x95, 0x01, 0x80, 0xc0, 0xa1, 'x', 0x91, 0xd6, 0xff, 0, 0, 0, 1})
	fuzzUnmarshal(f, MessagePack)
}

func FuzzHandshake(f *testing.F) {
	f.Add([]byte("{\"protocol\":\"json\",\"version\":1}\x1e"))
	f.Add([]byte("{\"protocol\":\"messagepack\",\"version\":2}\x1e\x02\x91\x06"))
	f.Add([]byte("{}\x1e"))
	f.Add([]byte("{\"error\":\"no\"}\x1e"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, n, err := ParseHandshakeRequest(data)
		require.LessOrEqual(t, n, len(data))
		if err == nil {
			back, n2, err := ParseHandshakeRequest(AppendHandshakeRequest(nil, req))
			require.NoError(t, err)
			require.Positive(t, n2)
			// Invalid UTF-8 in the name is replaced when re-encoded.
			if json.Valid([]byte(`"` + req.Protocol + `"`)) {
				assert.Equal(t, req.Version, back.Version)
			}
		}
		msg, n, err := ParseHandshakeResponse(data)
		require.LessOrEqual(t, n, len(data))
		if err == nil {
			got, _, err := ParseHandshakeResponse(AppendHandshakeResponse(nil, msg))
			require.NoError(t, err)
			if msg != "" && json.Valid([]byte(`"`+msg+`"`)) {
				assert.Equal(t, msg, got)
			}
		}
	})
}

// FuzzValueJSON converts JSON to MessagePack and back: whatever converts
// one way must convert back to an equal JSON value.
func FuzzValueJSON(f *testing.F) {
	for _, s := range []string{`null`, `[1,"a",{"b":true}]`, `"\ud83d\ude00"`, `-1.5e-7`, `18446744073709551615`, `{"a":{"b":[[]]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mp, err := JSONValue(data).MessagePack()
		if err != nil {
			return
		}
		back, err := MessagePackValue(mp).JSON()
		require.NoError(t, err, "MessagePack %x from %q", mp, data)
		var a, b any
		if json.Unmarshal(data, &a) == nil {
			require.NoError(t, json.Unmarshal(back, &b))
			assert.Equal(t, a, b)
		}
	})
}

// FuzzValueMessagePack converts MessagePack to JSON and back.
func FuzzValueMessagePack(f *testing.F) {
	f.Add([]byte{0xc0})
	f.Add([]byte{0x82, 0x01, 0xa1, 'a', 0xa1, 'b', 0xc4, 0x01, 0x00})
	f.Add([]byte{0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x93, 0xa2, 0x01, '"', 0xca, 0x3f, 0x80, 0, 0, 0x81, 0xd0, 0x80, 0xc2})
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := MessagePackValue(data).JSON()
		if err != nil {
			return
		}
		require.True(t, json.Valid(js), "%q", js)
		n, err := msgpackJSONLen(data)
		require.NoError(t, err)
		require.Equal(t, len(js), n, "measured JSON length of %x", data)
		_, err = JSONValue(js).MessagePack()
		if err != nil {
			// Only numbers outside float64 range may fail; msgpack has none.
			t.Fatalf("JSON %q from %x does not convert back: %v", js, data, err)
		}
	})
}
