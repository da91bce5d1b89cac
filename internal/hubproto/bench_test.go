package hubproto

import (
	"encoding/json"
	"testing"
)

// The floor for each benchmark is encoding/json doing the same job with a
// plain struct; the ratio shows what the protocol layer costs.

var benchInvocation = Message{
	Type: TypeInvocation, Target: "newMessage",
	Arguments: []Value{JSONValue([]byte(`{"sender":"alice","text":"hello world"}`)), JSONValue([]byte(`"room-1"`))},
}

type floorInvocation struct {
	Type      int               `json:"type"`
	Target    string            `json:"target"`
	Arguments []json.RawMessage `json:"arguments"`
}

var floorMsg = floorInvocation{Type: 1, Target: "newMessage", Arguments: []json.RawMessage{
	json.RawMessage(`{"sender":"alice","text":"hello world"}`), json.RawMessage(`"room-1"`)}}

func BenchmarkEncodeJSON(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = JSON.AppendFrame(buf[:0], &benchInvocation)
	}
}

func BenchmarkEncodeJSONFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(&floorMsg)
	}
}

func BenchmarkEncodeMessagePackFromJSON(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = MessagePack.AppendFrame(buf[:0], &benchInvocation)
	}
}

func BenchmarkEncodeMessagePackNative(b *testing.B) {
	m := benchInvocation
	m.Arguments = make([]Value, len(benchInvocation.Arguments))
	for i, a := range benchInvocation.Arguments {
		raw, _ := a.MessagePack()
		m.Arguments[i] = MessagePackValue(raw)
	}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = MessagePack.AppendFrame(buf[:0], &m)
	}
}

func BenchmarkParseJSON(b *testing.B) {
	frame, _ := JSON.AppendFrame(nil, &benchInvocation)
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = JSON.ParseFrame(frame)
	}
}

func BenchmarkParseJSONFloor(b *testing.B) {
	raw, _ := json.Marshal(&floorMsg)
	b.ReportAllocs()
	for b.Loop() {
		var m floorInvocation
		_ = json.Unmarshal(raw, &m)
	}
}

func BenchmarkParseMessagePack(b *testing.B) {
	frame, _ := MessagePack.AppendFrame(nil, &benchInvocation)
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = MessagePack.ParseFrame(frame)
	}
}

func BenchmarkConvertJSONToMessagePack(b *testing.B) {
	v := benchInvocation.Arguments[0]
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = v.appendMessagePack(buf[:0])
	}
}

func BenchmarkConvertMessagePackToJSON(b *testing.B) {
	raw, _ := benchInvocation.Arguments[0].MessagePack()
	v := MessagePackValue(raw)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = v.appendJSON(buf[:0])
	}
}
