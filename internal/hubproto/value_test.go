package hubproto

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// JSON -> MessagePack is checked against an independent decoder
// (vmihailenco/msgpack), then converted back.
func TestJSONToMessagePack(t *testing.T) {
	tests := []struct {
		json string
		want any    // what vmihailenco/msgpack decodes
		back string // JSON after the round trip
	}{
		{`null`, nil, `null`},
		{`true`, true, `true`},
		{`false`, false, `false`},
		{`0`, int8(0), `0`},
		{`-1`, int8(-1), `-1`},
		{`-33`, int8(-33), `-33`},
		{`200`, uint8(200), `200`},
		{`-200`, int16(-200), `-200`},
		{`70000`, uint32(70000), `70000`},
		{`-70000`, int32(-70000), `-70000`},
		{`9007199254740993`, uint64(9007199254740993), `9007199254740993`},
		{`-9223372036854775808`, int64(math.MinInt64), `-9223372036854775808`},
		{`18446744073709551615`, uint64(math.MaxUint64), `18446744073709551615`},
		{`1.5`, 1.5, `1.5`},
		{`3.0`, int8(3), `3`},
		{`1e3`, uint16(1000), `1000`},
		{`1e300`, 1e300, `1e+300`},
		{`0.000001`, 0.000001, `0.000001`},
		{`1e-7`, 1e-7, `1e-7`},
		{`"a"`, "a", `"a"`},
		{` "\u00e9\n\"\\\/" `, "é\n\"\\/", `"é\n\"\\/"`},
		{`"\ud83d\ude00"`, "😀", `"😀"`},
		{`"\ud83d"`, "\ufffd", "\"\ufffd\""},
		{`"\ud83d\u0041"`, "\ufffdA", "\"\ufffdA\""},
		{`[]`, []any{}, `[]`},
		{`[1,"x",[null]]`, []any{int8(1), "x", []any{nil}}, `[1,"x",[null]]`},
		{`{}`, map[string]any{}, `{}`},
		{`{"b":1,"a":{"c":[]}}`, map[string]any{"b": int8(1), "a": map[string]any{"c": []any{}}}, `{"b":1,"a":{"c":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			mp, err := JSONValue([]byte(tt.json)).MessagePack()
			require.NoError(t, err)
			var got any
			require.NoError(t, msgpack.Unmarshal(mp, &got))
			assert.Equal(t, tt.want, got)
			back, err := MessagePackValue(mp).JSON()
			require.NoError(t, err)
			assert.Equal(t, tt.back, string(back))
		})
	}
}

func TestJSONToMessagePackLargeContainers(t *testing.T) {
	for _, n := range []int{15, 16, 65535, 65536} {
		arr := make([]int, n)
		obj := make(map[string]int, n)
		for i := range arr {
			arr[i] = i
			obj[string(rune('a'+i%26))+string(rune(i))] = i
		}
		for _, v := range []any{arr, obj} {
			raw, err := json.Marshal(v)
			require.NoError(t, err)
			mp, err := JSONValue(raw).MessagePack()
			require.NoError(t, err)
			back, err := MessagePackValue(mp).JSON()
			require.NoError(t, err)
			assert.JSONEq(t, string(raw), string(back))
		}
	}
}

// MessagePack types without a JSON twin map the way a JSON client would
// see them.
func TestMessagePackToJSONSpecialTypes(t *testing.T) {
	ts := time.Date(2026, 11, 23, 13, 0, 0, 500, time.UTC)
	tsBytes, err := msgpack.Marshal(ts)
	require.NoError(t, err)
	tests := []struct {
		name string
		mp   []byte
		want string
	}{
		{"bin", []byte{0xc4, 0x03, 1, 2, 3}, `"AQID"`},
		{"float32", []byte{0xca, 0x3d, 0xcc, 0xcc, 0xcd}, `0.1`},
		{"timestamp", tsBytes, `"2026-11-23T13:00:00.0000005Z"`},
		{"timestamp32", []byte{0xd6, 0xff, 0, 0, 0, 1}, `"1970-01-01T00:00:01Z"`},
		{"int map keys", []byte{0x82, 0x01, 0xa1, 'a', 0xff, 0xc0}, `{"1":"a","-1":null}`},
		{"str8", append([]byte{0xd9, 0x03}, "abc"...), `"abc"`},
		{"invalid utf8", []byte{0xa1, 0xff}, `"\ufffd"`},
		{"float exponent", []byte{0xcb, 0x3e, 0x7a, 0xd7, 0xf2, 0x9a, 0xbc, 0xaf, 0x48}, `1e-7`},
		{"control chars", []byte{0xa3, 0x01, '<', 0x1e}, `"\u0001<\u001e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MessagePackValue(tt.mp).JSON()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestConversionErrors(t *testing.T) {
	nan := []byte{0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1}
	tests := []struct {
		name string
		v    Value
		msg  string
	}{
		{"invalid json", jv(`{"a":`), "invalid JSON"},
		{"two json values", jv(`1 2`), "invalid JSON"},
		{"nan", MessagePackValue(nan), "has no JSON form"},
		{"ext", MessagePackValue([]byte{0xd4, 0x05, 0x00}), "extension type 5"},
		{"bad timestamp", MessagePackValue([]byte{0xd5, 0xff, 0, 0}), "timestamp of 2 bytes"},
		{"array map key", MessagePackValue([]byte{0x81, 0x90, 0xc0}), "map key"},
		{"truncated", MessagePackValue([]byte{0x92, 0x01}), "truncated"},
		{"trailing", MessagePackValue([]byte{0x01, 0x02}), "after the MessagePack value"},
		{"go value", ValueOf(math.Inf(1)), "unsupported value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err1 := tt.v.JSON()
			_, err2 := tt.v.MessagePack()
			err := err1
			if err == nil {
				err = err2
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Regexp(t, `^hubproto: `, err.Error())
		})
	}
}

func TestDeeplyNestedMessagePack(t *testing.T) {
	deep := make([]byte, 0, 20001)
	for range 20000 {
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0xc0)
	_, err := MessagePackValue(deep).JSON()
	assert.ErrorContains(t, err, "nested too deeply")
	// The envelope reader skips it without recursion.
	msg := append([]byte{0x95, 0x01, 0x80, 0xc0, 0xa1, 'x', 0x91}, deep...)
	m, err := MessagePack.Unmarshal(msg)
	require.NoError(t, err)
	assert.Len(t, m.Arguments, 1)
}

type point struct {
	X    int    `json:"x"`
	Name string `json:"name,omitempty"`
}

func TestDecode(t *testing.T) {
	type tcase struct {
		name string
		v    Value
		dst  func() any
		want any
	}
	mp := func(v any) Value {
		b, err := ValueOf(v).MessagePack()
		require.NoError(t, err)
		return MessagePackValue(b)
	}
	var tests []tcase
	for _, f := range []struct {
		label string
		mk    func(string) Value
	}{
		{"json", jv},
		{"msgpack", func(s string) Value { return mp(json.RawMessage(s)) }},
		{"go", func(s string) Value { var x any; require.NoError(t, json.Unmarshal([]byte(s), &x)); return ValueOf(x) }},
	} {
		tests = append(tests,
			tcase{f.label + " string", f.mk(`"hi"`), func() any { return new(string) }, "hi"},
			tcase{f.label + " int", f.mk(`42`), func() any { return new(int) }, 42},
			tcase{f.label + " int64", f.mk(`-7`), func() any { return new(int64) }, int64(-7)},
			tcase{f.label + " float", f.mk(`2.5`), func() any { return new(float64) }, 2.5},
			tcase{f.label + " bool", f.mk(`true`), func() any { return new(bool) }, true},
			tcase{f.label + " struct", f.mk(`{"x":3,"name":"p"}`), func() any { return new(point) }, point{X: 3, Name: "p"}},
			tcase{f.label + " struct case-insensitive", f.mk(`{"X":3}`), func() any { return new(point) }, point{X: 3}},
			tcase{f.label + " slice", f.mk(`[1,2]`), func() any { return new([]int) }, []int{1, 2}},
			tcase{f.label + " any", f.mk(`{"a":[1,"b"]}`), func() any { return new(any) }, map[string]any{"a": []any{1.0, "b"}}},
			tcase{f.label + " raw", f.mk(`{"a":1}`), func() any { return new(json.RawMessage) }, json.RawMessage(`{"a":1}`)},
		)
	}
	tests = append(tests,
		tcase{"msgpack bin to bytes", MessagePackValue([]byte{0xc4, 0x02, 7, 8}), func() any { return new([]byte) }, []byte{7, 8}},
		tcase{"json escaped string", jv(`"a\"b\u00e9\n"`), func() any { return new(string) }, "a\"bé\n"},
		tcase{"json invalid utf8 string", JSONValue([]byte{'"', 0xff, '"'}), func() any { return new(string) }, "\ufffd"},
		tcase{"zero value", Value{}, func() any { s := "keep"; return &s }, "keep"},
		tcase{"msgpack nil into pointer", MessagePackValue([]byte{0xc0}), func() any { return new(*int) }, (*int)(nil)},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.dst()
			require.NoError(t, tt.v.Decode(dst))
			assert.Equal(t, tt.want, derefAny(dst))
		})
	}
}

func derefAny(p any) any {
	switch v := p.(type) {
	case *string:
		return *v
	case *int:
		return *v
	case *int64:
		return *v
	case *float64:
		return *v
	case *bool:
		return *v
	case *point:
		return *v
	case *[]int:
		return *v
	case *any:
		return *v
	case *json.RawMessage:
		return *v
	case *[]byte:
		return *v
	case **int:
		return *v
	}
	panic("unhandled")
}

func TestDecodeErrors(t *testing.T) {
	var s string
	err := jv(`1`).Decode(&s)
	assert.ErrorContains(t, err, "hubproto: decode value")
	err = MessagePackValue([]byte{0x01}).Decode(&s)
	assert.ErrorContains(t, err, "hubproto: decode value")
	var n int
	err = MessagePackValue([]byte{0xa1, 'x'}).Decode(&n)
	assert.ErrorContains(t, err, "hubproto: decode value")
	assert.ErrorContains(t, jv(`1`).Decode(nil), "want a non-nil pointer")
	var x int
	assert.Error(t, jv(`1`).Decode(x))
}

func TestValueBasics(t *testing.T) {
	assert.True(t, Value{}.IsZero())
	assert.False(t, jv(`null`).IsZero())
	assert.False(t, MessagePackValue([]byte{0xc0}).IsZero())
	assert.False(t, ValueOf(nil).IsZero())
	b, err := Value{}.JSON()
	require.NoError(t, err)
	assert.Equal(t, "null", string(b))
	b, err = Value{}.MessagePack()
	require.NoError(t, err)
	assert.Equal(t, []byte{0xc0}, b)
	assert.Equal(t, `{"x":1}`, ValueOf(point{X: 1}).String())
	assert.Contains(t, MessagePackValue([]byte{0xc1}).String(), "<invalid value")
	// Go values take their json tags into MessagePack too.
	b, err = ValueOf(point{X: 1}).MessagePack()
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, msgpack.Unmarshal(b, &m))
	assert.Equal(t, map[string]any{"x": int8(1)}, m)
}

func TestValueOfRawMessageIsJSONNotBytes(t *testing.T) {
	v := ValueOf(json.RawMessage(`{"a":[1,"x"]}`))
	j, err := v.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[1,"x"]}`, string(j))

	mp, err := v.MessagePack()
	require.NoError(t, err)
	back, err := MessagePackValue(mp).JSON()
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":[1,"x"]}`, string(back), "a raw JSON value must cross to MessagePack as a map, not bin")
}
