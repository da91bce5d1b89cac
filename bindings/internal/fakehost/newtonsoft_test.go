package fakehost

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendNString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hi", `"hi"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak\r\ttab\b\f", `"line\nbreak\r\ttab\b\f"`},
		{"\x01", `"\u0001"`},
		{"<tag>&amp;", `"<tag>&amp;"`}, // no HTML escaping, unlike encoding/json
		{"é😀", `"é😀"`},
		{"\u2028\u2029\u0085", `"\u2028\u2029\u0085"`},
		{"bad\xffbyte", `"bad\ufffdbyte"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendNString(nil, tt.in)), "%q", tt.in)
		var back string
		require.NoError(t, json.Unmarshal(appendNString(nil, tt.in), &back))
	}
}

func TestReencode(t *testing.T) {
	compact, err := reencode([]byte(`{ "b": [1, 2.50, {"c": null}], "a": "<x>", "e": {}, "f": [] }`), false)
	require.NoError(t, err)
	assert.Equal(t, `{"b":[1,2.5,{"c":null}],"a":"<x>","e":{},"f":[]}`, string(compact), "member order kept, doubles as .NET writes them")

	indented, err := reencode([]byte(`{"url":"https://h/client/?hub=chat","accessToken":"t","n":[1,true]}`), true)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"url\": \"https://h/client/?hub=chat\",\n  \"accessToken\": \"t\",\n  \"n\": [\n    1,\n    true\n  ]\n}", string(indented))

	for _, bad := range []string{`{`, `{"a":1} x`, ``, `[1,]`} {
		_, err := reencode([]byte(bad), false)
		assert.Error(t, err, bad)
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[string]string{
		"2": "2", "-7": "-7", "123456789012345678901234567890": "123456789012345678901234567890",
		"2.50": "2.5", "1.0": "1.0", "1e3": "1000.0", "0.1": "0.1", "1e15": "1E+15", "1.5e20": "1.5E+20",
		"0.00001": "1E-05", "0.0001": "0.0001", "-2.5e-7": "-2.5E-07", "1e400": "1e400",
	} {
		assert.Equal(t, want, formatNumber(in), in)
	}
}

func TestFormatDateTime(t *testing.T) {
	assert.Equal(t, "2026-11-23T13:14:03.1234567Z", formatDateTime(time.Date(2026, 11, 23, 13, 14, 3, 123456789, time.UTC)))
	assert.Equal(t, "2026-11-23T13:14:03.5Z", formatDateTime(time.Date(2026, 11, 23, 13, 14, 3, 500000000, time.UTC)))
	assert.Equal(t, "2026-11-23T13:14:03Z", formatDateTime(time.Date(2026, 11, 23, 14, 14, 3, 0, time.FixedZone("CET", 3600))))
}

func TestObjectKeysIgnoreCase(t *testing.T) {
	var o object
	o.add("Query", []byte(`1`))
	o.add("query", []byte(`2`))
	o.add("x", nil)
	assert.Equal(t, `{"Query":1}`, string(o.bytes()))
}

// FuzzReencode checks that whatever Newtonsoft-style output is produced is valid JSON equal in
// value to the input.
func FuzzReencode(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c"}]}`, `"\u2028"`, `[[],{}]`, `1e5`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, indent := range []bool{false, true} {
			out, err := reencode(raw, indent)
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("reencode(%q) = %q, not valid JSON", raw, out)
			}
			var a, b any
			if json.Unmarshal(raw, &a) == nil && json.Unmarshal(out, &b) == nil {
				assert.Equal(t, a, b)
			}
		}
	})
}

// FuzzHandlerOutputs feeds arbitrary handler answers and output values to the host's readers:
// they must accept or reject, never panic.
func FuzzHandlerOutputs(f *testing.F) {
	for _, s := range []string{`{"statusCode":"201","headers":{"a":["b"]},"body":{"x":1}}`, `"{\"statusCode\":202}"`,
		`[{"target":"t","arguments":[]},{"action":"add","groupName":"g","userId":"u"}]`, `"dGVzdA=="`, `null`, `{"body":null,"status":"x"}`,
		`{"Outputs":{"res":{"body":"x"}},"Logs":["a",1,true,null],"ReturnValue":{"res":"y"}}`, `{"target":5,"arguments":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if res, err := parseResult(raw); err == nil {
			mergeReturnValue(httpFunction(), res)
			if a, err := buildHTTPAnswer(httpFunction(), res); err == nil {
				_ = a.write(httptest.NewRecorder())
			}
		}
		if !json.Valid(raw) {
			return
		}
		res := &result{outputs: map[string]outputValue{"res": {raw: raw}}, returnValue: raw}
		if a, err := buildHTTPAnswer(httpFunction(), res); err == nil {
			_ = a.write(httptest.NewRecorder())
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 {
			_ = createResult(t).write(httptest.NewRecorder())
		}
		_, _ = dotnetString(raw)
		d := &bindingData{}
		addBodyProperties(d, raw)
		_ = d.appendMetadata(nil)
	})
}

// FuzzRequestParsers feeds arbitrary text to what the host parses from a caller's request: the
// query string, the claims header, date detection and the connection's header framing.
func FuzzRequestParsers(f *testing.F) {
	for _, s := range []string{"?a=1&A=2&b=%zz&c=%C3%A9+x", "a: 1, b: 2: 3, ,c: x", "2024-01-02T03:04:05.1234567+02:00",
		"GET / HTTP/1.1\r\nX-Ms-A: 1\r\nContent-Length: 2\r\n\r\nab", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range parseQuery(s) {
			require.NotEmpty(t, p.values)
		}
		_ = parseClaims(s)
		_, _ = dotnetDate(s)
		_ = dotnetNumber(s)
		var sc headerScanner
		for i := 0; i < len(s); i += 7 {
			_ = sc.feed([]byte(s[i:min(i+7, len(s))]))
		}
	})
}
