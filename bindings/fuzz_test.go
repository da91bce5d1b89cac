package bindings

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary binding values to Decode for every target kind: it must return a
// value or an error, never panic.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`"\"hi\""`, `"4"`, `"true"`, `"[\"a\",\"b\"]"`, `{"a":1}`, `"AAE="`, `"2019-10-09T17:58:31+00:00"`,
		`"\"{\\n  \\\"url\\\": \\\"https://h\\\",\\n  \\\"accessToken\\\": \\\"t\\\"\\n}\""`,
		`null`, `""`, `"\""`, `"\"\\u0000\""`, `[1,2]`, `12`, `"\"\\ud800\""`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := &invokeRequest{Data: map[string]json.RawMessage{"v": raw}}
		var (
			s  string
			b  []byte
			tm time.Time
			rm json.RawMessage
			a  any
			n  int
			st struct {
				A string
				B []int
			}
			m map[string]any
		)
		for _, target := range []any{&s, &b, &tm, &rm, &a, &n, &st, &m} {
			_ = req.decode("v", target)
		}
		_, _ = req.connectionInfo("v")
		if err := req.decode("v", &rm); err == nil && len(rm) > 0 && !json.Valid(rm) {
			t.Fatalf("Decode into json.RawMessage produced invalid JSON %q from %q", rm, raw)
		}
	})
}

// FuzzHTTPRequest feeds arbitrary HTTP trigger values to the accessor.
func FuzzHTTPRequest(f *testing.F) {
	for _, seed := range []string{
		`{"Url":"http://h/api/x","Method":"GET","Query":{"a":"1"},"Headers":{"A":["b"]},"Params":{"id":"1"},"Identities":[],"Body":"hi"}`,
		`{"Query":"{\"a\":\"1\"}","Headers":{"A":"b"},"Params":{"id":1}}`,
		`{"Headers":{"Content-Type":["application/octet-stream"]},"Body":"AAE="}`,
		`{"Headers":{"Content-Type":["multipart/form-data; boundary=\""]},"Body":"***"}`,
		`{"Body":{"a":1}}`, `"{\"Method\":\"GET\"}"`, `[]`, `{"Identities":[{"Claims":[{"Type":"t","Value":"v"}]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := &invokeRequest{Data: map[string]json.RawMessage{"req": raw}}
		r, err := req.httpRequest("req")
		if err != nil {
			return
		}
		_ = r.Header("content-type")
		var v any
		_ = r.JSON(&v)
	})
}

// FuzzInvokeRequest decodes whole request bodies the way the App does and reads sys.
func FuzzInvokeRequest(f *testing.F) {
	f.Add([]byte(`{"Data":{"req":{"Method":"GET"}},"Metadata":{"sys":{"MethodName":"f","UtcNow":"2026-01-01T00:00:00Z","RandGuid":"g"}}}`))
	f.Add([]byte(`{"Data":null,"Metadata":{"sys":"{\"UtcNow\":\"x\"}"}}`))
	f.Add([]byte(`{"Metadata":{"sys":{"UtcNow":7}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req invokeRequest
		if json.Unmarshal(raw, &req) != nil {
			return
		}
		var sys struct{ UtcNow time.Time }
		_ = req.decodeMetadata("sys", &sys)
		for name := range req.Data {
			_, _ = req.httpRequest(name)
			_, _ = req.connectionInfo(name)
		}
	})
}

// FuzzParseInvokeRequest checks the hand-written envelope splitter against encoding/json.
func FuzzParseInvokeRequest(f *testing.F) {
	f.Add([]byte(`{"Data":{"req":{"Method":"GET"},"s":"\"x\\\"}\""},"Metadata":{"sys":{"MethodName":"f"}}}`))
	f.Add([]byte(` { "data" : null , "METADATA" : { "a" : [1, {"b": "]"}] } , "x": 1 } `))
	f.Add([]byte(`{"Data":[],"Metadata":{}}`))
	f.Add([]byte(`{"Data":{"a":1,"a":2}}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseInvokeRequest(body)
		if tb := bytes.TrimSpace(body); len(tb) == 0 || tb[0] != '{' {
			if err == nil {
				t.Fatalf("ParseInvokeRequest accepted %q, which is not an object", body)
			}
			return
		}
		var want invokeRequest
		wantErr := json.Unmarshal(body, &want)
		if wantErr != nil {
			if err != nil {
				return
			}
			// Values are checked when decoded, so accepting is fine only when the invalid
			// part is inside a returned value.
			for _, m := range []map[string]json.RawMessage{got.Data, got.Metadata} {
				for _, v := range m {
					if !json.Valid(v) {
						return
					}
				}
			}
			t.Fatalf("ParseInvokeRequest accepted %q, which encoding/json rejects (%v), with every value valid", body, wantErr)
		}
		if err != nil {
			t.Fatalf("ParseInvokeRequest(%q): %v; encoding/json accepts it", body, err)
		}
		compare := func(a, b map[string]json.RawMessage) {
			if len(a) != len(b) {
				t.Fatalf("%q: got %d members, encoding/json %d", body, len(a), len(b))
			}
			for k, v := range b {
				if string(a[k]) != string(v) {
					t.Fatalf("%q: member %q = %q, encoding/json %q", body, k, a[k], v)
				}
			}
		}
		compare(got.Data, want.Data)
		compare(got.Metadata, want.Metadata)
	})
}
