package hubproto

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every strict prefix of a frame is ErrIncomplete with nothing consumed:
// never a partial decode.
func TestParseFramePrefixesAreIncomplete(t *testing.T) {
	for name, m := range allFixtures() {
		for _, p := range protocols() {
			frame, err := p.AppendFrame(nil, &m)
			require.NoError(t, err)
			for i := 0; i < len(frame); i++ {
				_, n, err := p.ParseFrame(frame[:i])
				require.ErrorIs(t, err, ErrIncomplete, "%s%s prefix %d", name, ext(p), i)
				require.Zero(t, n)
			}
		}
	}
}

func TestParseFrameSeveralRecords(t *testing.T) {
	msgs := []Message{
		{Type: TypePing},
		{Type: TypeInvocation, Target: "a", Arguments: []Value{jv(`1`)}},
		{Type: TypeCompletion, InvocationID: "1", Result: jv(`"r"`), HasResult: true},
		{Type: TypeClose, Error: "bye"},
	}
	for _, p := range protocols() {
		t.Run(p.Name(), func(t *testing.T) {
			var buf []byte
			for i := range msgs {
				var err error
				buf, err = p.AppendFrame(buf, &msgs[i])
				require.NoError(t, err)
			}
			// A half-written fifth record stays in the buffer.
			tail, err := p.AppendFrame(nil, &msgs[1])
			require.NoError(t, err)
			buf = append(buf, tail[:len(tail)-1]...)
			for i := range msgs {
				m, n, err := p.ParseFrame(buf)
				require.NoError(t, err)
				assert.Equal(t, canon(t, msgs[i]), canon(t, m))
				buf = buf[n:]
			}
			_, n, err := p.ParseFrame(buf)
			assert.ErrorIs(t, err, ErrIncomplete)
			assert.Zero(t, n)
		})
	}
}

func TestAppendFrameAppends(t *testing.T) {
	for _, p := range protocols() {
		prefix := []byte("keep")
		out, err := p.AppendFrame(prefix, &Message{Type: TypePing})
		require.NoError(t, err)
		assert.Equal(t, "keep", string(out[:4]))
		m, n, err := p.ParseFrame(out[4:])
		require.NoError(t, err)
		assert.Equal(t, len(out)-4, n)
		assert.Equal(t, TypePing, m.Type)
	}
	// The ping is exactly 0x91 0x06 after its length.
	out, err := MessagePack.AppendFrame(nil, &Message{Type: TypePing})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x02, 0x91, 0x06}, out)
}

func TestMessagePackLongFrames(t *testing.T) {
	// Lengths around every varint size boundary.
	for _, size := range []int{0, 100, 127, 128, 16383, 16384, 2097151, 2097152} {
		arg := strings.Repeat("x", size)
		m := Message{Type: TypeInvocation, Target: "t", Arguments: []Value{ValueOf(arg)}}
		frame, err := MessagePack.AppendFrame([]byte{0xAA}, &m)
		require.NoError(t, err)
		got, n, err := MessagePack.ParseFrame(frame[1:])
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, len(frame)-1, n)
		var s string
		require.NoError(t, got.Arguments[0].Decode(&s))
		assert.Equal(t, arg, s)
	}
}

func TestMessagePackLengthPrefixErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrIncomplete, ""},
		{"continuation only", []byte{0x80}, ErrIncomplete, ""},
		{"four continuation bytes", []byte{0x80, 0x80, 0x80, 0x80}, ErrIncomplete, ""},
		{"over 2GB", []byte{0xff, 0xff, 0xff, 0xff, 0x08}, nil, "exceeds 2 GB"},
		{"six bytes", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, nil, "exceeds 2 GB"},
		{"over MaxMessageSize", []byte{0x80, 0x80, 0x80, 0x40}, ErrTooLarge, ""},
		{"declared longer than data", []byte{0x05, 0x91, 0x06}, ErrIncomplete, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := MessagePack.ParseFrame(tt.in)
			require.Error(t, err)
			assert.Zero(t, n)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
			} else {
				assert.Contains(t, err.Error(), tt.msg)
			}
		})
	}
}

func TestJSONParseFrameTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte{' '}, MaxMessageSize+1)
	_, _, err := JSON.ParseFrame(big)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, _, err = ParseHandshakeRequest(big)
	assert.ErrorIs(t, err, ErrTooLarge)
}

// A bad record reports its size so a reader can skip it.
func TestParseFrameBadRecordSize(t *testing.T) {
	buf := []byte("{\"type\":\"x\"}\x1e{\"type\":6}\x1e")
	_, n, err := JSON.ParseFrame(buf)
	require.Error(t, err)
	m, _, err := JSON.ParseFrame(buf[n:])
	require.NoError(t, err)
	assert.Equal(t, TypePing, m.Type)

	mp := []byte{0x02, 0x91, 0xa1, 0x02, 0x91, 0x06}
	_, n, err = MessagePack.ParseFrame(mp)
	require.Error(t, err)
	m, _, err = MessagePack.ParseFrame(mp[n:])
	require.NoError(t, err)
	assert.Equal(t, TypePing, m.Type)
}

func TestUnmarshalUpstreamBodies(t *testing.T) {
	tests := []struct {
		name string
		p    Protocol
		in   string
		want Message
	}{
		{"connected", JSON, `{"type":10}`, Message{Type: TypeOpenConnection}},
		{"disconnected PascalCase", JSON, `{"Type":11,"Error":"transport closed"}`, Message{Type: TypeCloseConnection, Error: "transport closed", HasError: true}},
		{"disconnected clean", JSON, `{"Type":11}`, Message{Type: TypeCloseConnection}},
		{"disconnected null error", JSON, `{"type":11,"error":null}`, Message{Type: TypeCloseConnection}},
		{"invocation trailing separator", JSON, "{\"type\":1,\"target\":\"send\",\"arguments\":[\"a\"]}\x1e", Message{Type: TypeInvocation, Target: "send", Arguments: []Value{jv(`"a"`)}}},
		{"invocation trailing newline", JSON, "{\"type\":1,\"target\":\"send\",\"arguments\":[]}\n", Message{Type: TypeInvocation, Target: "send"}},
		{"invocation without arguments", JSON, `{"type":1,"target":"send"}`, Message{Type: TypeInvocation, Target: "send"}},
		{"invocation with an empty id is a send", JSON, `{"type":1,"invocationId":"","target":"send"}`, Message{Type: TypeInvocation, Target: "send"}},
		{"msgpack empty id is a send", MessagePack, "\x95\x01\x80\xa0\xa4send\x90", Message{Type: TypeInvocation, Target: "send"}},
		{"invocation unknown fields", JSON, `{"type":1,"target":"send","arguments":[],"extra":{"x":[1]}}`, Message{Type: TypeInvocation, Target: "send"}},
		{"unknown type", JSON, `{"type":42,"target":""}`, Message{Type: 42}},
		{"msgpack 5 elements", MessagePack, "\x95\x01\x80\xc0\xa4send\x91\xa1a", Message{Type: TypeInvocation, Target: "send", Arguments: []Value{jv(`"a"`)}}},
		{"msgpack 6 elements", MessagePack, "\x96\x01\x80\xa11\xa4send\x90\x91\xa12", Message{Type: TypeInvocation, InvocationID: "1", Target: "send", StreamIDs: []string{"2"}}},
		{"msgpack framed", MessagePack, "\x0a\x95\x01\x80\xc0\xa4send\x90", Message{Type: TypeInvocation, Target: "send"}},
		{"msgpack extra elements", MessagePack, "\x97\x01\x80\xc0\xa4send\x90\x90\xc3", Message{Type: TypeInvocation, Target: "send"}},
		{"msgpack nil headers", MessagePack, "\x95\x01\xc0\xc0\xa4send\x90", Message{Type: TypeInvocation, Target: "send"}},
		{"msgpack close two elements", MessagePack, "\x92\x07\xc0", Message{Type: TypeClose}},
		{"msgpack unknown type", MessagePack, "\x93\x2a\x01\x02", Message{Type: 42}},
		{"msgpack wide ints", MessagePack, "\x92\xd3\x00\x00\x00\x00\x00\x00\x00\x08\xcf\x00\x00\x00\x01\x00\x00\x00\x00", Message{Type: TypeAck, SequenceID: 1 << 32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.Unmarshal([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, canon(t, tt.want), canon(t, got))
		})
	}
}

func TestMarshalUpstreamBodies(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{Message{Type: TypeOpenConnection}, `{"type":10}`},
		{Message{Type: TypeCloseConnection}, `{"Type":11}`},
		{Message{Type: TypeCloseConnection, Error: "gone"}, `{"Type":11,"Error":"gone"}`},
		{Message{Type: TypeInvocation, Target: "send", Arguments: []Value{jv(`"a"`)}}, `{"type":1,"target":"send","arguments":["a"]}`},
		{Message{Type: TypeInvocation, InvocationID: "0", Target: "echo", Headers: map[string]string{"b": "2", "a": "1"}}, `{"type":1,"invocationId":"0","target":"echo","arguments":[],"headers":{"a":"1","b":"2"}}`},
		{Message{Type: TypeCompletion, InvocationID: "0", HasError: true}, `{"type":3,"invocationId":"0","error":""}`},
		{Message{Type: TypeCompletion, InvocationID: "0", Result: Value{}, HasResult: true}, `{"type":3,"invocationId":"0","result":null}`},
		{Message{Type: TypeClose, AllowReconnect: true}, `{"type":7,"allowReconnect":true}`},
		{Message{Type: TypeAck, SequenceID: -1}, `{"type":8,"sequenceId":-1}`},
	}
	for _, tt := range tests {
		got, err := JSON.Marshal(&tt.m)
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(got))
	}
	_, err := MessagePack.Marshal(&Message{Type: TypeOpenConnection})
	assert.ErrorContains(t, err, "want 1 to 9")
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		msg  string
	}{
		{"invocation without target", Message{Type: TypeInvocation}, "without a target"},
		{"stream invocation without id", Message{Type: TypeStreamInvocation, Target: "x"}, "without an invocation id"},
		{"stream item without id", Message{Type: TypeStreamItem}, "without an invocation id"},
		{"completion without id", Message{Type: TypeCompletion}, "without an invocation id"},
		{"completion with both", Message{Type: TypeCompletion, InvocationID: "1", HasResult: true, Error: "x"}, "both a result and an error"},
		{"cancel without id", Message{Type: TypeCancelInvocation}, "without an invocation id"},
		{"unknown type", Message{Type: 99}, "cannot encode message type 99"},
		{"bad argument", Message{Type: TypeInvocation, Target: "x", Arguments: []Value{ValueOf(make(chan int))}}, "argument 0"},
		{"bad result", Message{Type: TypeCompletion, InvocationID: "1", HasResult: true, Result: ValueOf(func() {})}, "completion result"},
	}
	for _, tt := range tests {
		for _, p := range protocols() {
			t.Run(tt.name+ext(p), func(t *testing.T) {
				out, err := p.AppendFrame([]byte("x"), &tt.m)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.msg)
				assert.True(t, strings.HasPrefix(err.Error(), "hubproto: "), err.Error())
				if p.Binary() {
					assert.Equal(t, "x", string(out), "a failed append leaves dst as it was")
				}
			})
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Protocol
		in   string
		msg  string
	}{
		{"empty", JSON, "", "empty JSON message"},
		{"not json", JSON, "hello", "malformed JSON message"},
		{"no type", JSON, `{"target":"x"}`, `without "type"`},
		{"string type", JSON, `{"type":"1"}`, "malformed JSON message"},
		{"invocation no target", JSON, `{"type":1,"arguments":[]}`, `without "target"`},
		{"stream invocation no id", JSON, `{"type":4,"target":"x"}`, `without "invocationId"`},
		{"stream item no item", JSON, `{"type":2,"invocationId":"1"}`, `without "item"`},
		{"completion both", JSON, `{"type":3,"invocationId":"1","result":1,"error":"x"}`, "both"},
		{"completion no id", JSON, `{"type":3}`, `without "invocationId"`},
		{"cancel no id", JSON, `{"type":5}`, `without "invocationId"`},
		{"headers not strings", JSON, `{"type":1,"target":"x","headers":{"a":1}}`, "malformed"},
		{"mp empty", MessagePack, "", "truncated"},
		{"mp not array", MessagePack, "\x01", "want a MessagePack array"},
		{"mp empty array", MessagePack, "\x90", "empty MessagePack message"},
		{"mp string type", MessagePack, "\x91\xa11", "message type"},
		{"mp invocation short", MessagePack, "\x94\x01\x80\xc0\xa1x", "want at least 5"},
		{"mp invocation no target", MessagePack, "\x95\x01\x80\xc0\xc0\x90", "without a target"},
		{"mp invocation args not array", MessagePack, "\x95\x01\x80\xc0\xa1x\x01", "arguments"},
		{"mp truncated argument", MessagePack, "\x95\x01\x80\xc0\xa1x\x91\xa5ab", "argument 0"},
		{"mp header value not string", MessagePack, "\x95\x01\x81\xa1a\x01\xc0\xa1x\x90", "header \"a\""},
		{"mp completion bad kind", MessagePack, "\x95\x03\x80\xa11\x04\x01", "result kind 4"},
		{"mp completion error missing", MessagePack, "\x94\x03\x80\xa11\x01", "want at least 5"},
		{"mp completion no id", MessagePack, "\x94\x03\x80\xc0\x02", "without an invocation id"},
		{"mp stream item short", MessagePack, "\x93\x02\x80\xa11", "want at least 4"},
		{"mp close short", MessagePack, "\x91\x07", "want at least 2"},
		{"mp close bad reconnect", MessagePack, "\x93\x07\xc0\x01", "allowReconnect"},
		{"mp ack not int", MessagePack, "\x92\x08\xa1x", "sequence id"},
		{"mp trailing bytes", MessagePack, "\x91\x06\x00", "after the MessagePack message"},
		{"mp invalid byte", MessagePack, "\x95\x01\x80\xc0\xa1x\x91\xc1", "invalid MessagePack type byte 0xc1"},
		{"mp huge array count", MessagePack, "\x95\x01\x80\xc0\xa1x\xdd\xff\xff\xff\xff", "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Unmarshal([]byte(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "hubproto: "), err.Error())
			assert.Equal(t, 1, strings.Count(err.Error(), "hubproto:"), err.Error())
			assert.False(t, errors.Is(err, ErrIncomplete))
		})
	}
}

func TestProtocolByName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want Protocol
		ok   bool
	}{
		{"json", JSON, true}, {"JSON", JSON, true}, {"messagepack", MessagePack, true},
		{"MessagePack", MessagePack, true}, {"msgpack", nil, false}, {"", nil, false},
	} {
		p, ok := ProtocolByName(tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.want, p, tt.name)
	}
	assert.False(t, JSON.Binary())
	assert.True(t, MessagePack.Binary())
}

func TestMessageTypeString(t *testing.T) {
	assert.Equal(t, "Invocation", TypeInvocation.String())
	assert.Equal(t, "Sequence", TypeSequence.String())
	assert.Equal(t, "CloseConnection", TypeCloseConnection.String())
	assert.Equal(t, "MessageType(0)", MessageType(0).String())
	assert.Equal(t, "MessageType(12)", MessageType(12).String())
}

// ParseFrame's message stays valid when the caller reuses its buffer.
func TestParseFrameDoesNotAliasBuffer(t *testing.T) {
	m := Message{Type: TypeInvocation, InvocationID: "1", Target: "t", Arguments: []Value{jv(`{"a":"b"}`)}}
	for _, p := range protocols() {
		buf, err := p.AppendFrame(nil, &m)
		require.NoError(t, err)
		got, _, err := p.ParseFrame(buf)
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 'x'
		}
		b, err := got.Arguments[0].JSON()
		require.NoError(t, err)
		assert.Equal(t, `{"a":"b"}`, string(b), p.Name())
	}
}
