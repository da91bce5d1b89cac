package bindings

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/funcsignalr/funcsignalr/internal/jsonwire"
	"github.com/funcsignalr/funcsignalr/signalr"
)

// The response is written on every invocation, so the shapes this package builds (HTTP
// responses, SignalR items) are encoded by hand; anything else goes through encoding/json.

// MarshalJSON writes {"Outputs":{…},"Logs":[…],"ReturnValue":…}, never with null collections,
// outputs in key order.
func (r invokeResponse) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, 1024))
}

// appendJSON appends the response as MarshalJSON writes it to b, without the validation pass
// encoding/json makes over a MarshalJSON result.
func (r *invokeResponse) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"Outputs":{`...)
	var err error
	if len(r.Outputs) == 1 {
		for k, v := range r.Outputs {
			b = jsonwire.AppendString(b, k)
			b = append(b, ':')
			if b, err = appendValue(b, v); err != nil {
				return nil, err
			}
		}
	} else {
		var buf [8]string
		for i, k := range sortedKeysInto(buf[:0], r.Outputs) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonwire.AppendString(b, k)
			b = append(b, ':')
			if b, err = appendValue(b, r.Outputs[k]); err != nil {
				return nil, err
			}
		}
	}
	b = append(b, `},"Logs":[`...)
	for i, l := range r.Logs {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonwire.AppendString(b, l)
	}
	b = append(b, `],"ReturnValue":`...)
	if b, err = appendValue(b, r.ReturnValue); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case httpResponse:
		return x.appendJSON(b), nil
	case []signalr.Action:
		b = append(b, '[')
		for i, item := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAction(b, item); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// MarshalJSON writes {"statusCode":n,"headers":{…},"body":"…"}.
func (r httpResponse) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, 64+len(r.Body))), nil
}

func (r httpResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, `,"headers":{`...)
	if len(r.Headers) == 1 {
		for k, v := range r.Headers {
			b = jsonwire.AppendString(b, k)
			b = append(b, ':')
			b = jsonwire.AppendString(b, v)
		}
	} else {
		var buf [8]string
		for i, k := range sortedKeysInto(buf[:0], r.Headers) {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonwire.AppendString(b, k)
			b = append(b, ':')
			b = jsonwire.AppendString(b, r.Headers[k])
		}
	}
	b = append(b, `},"body":`...)
	b = jsonwire.AppendString(b, r.Body)
	return append(b, '}')
}

func appendAction(b []byte, item signalr.Action) ([]byte, error) {
	var err error
	switch a := item.(type) {
	case *signalr.Message:
		return appendAction(b, *a)
	case *signalr.GroupAction:
		return appendAction(b, *a)
	case signalr.Message:
		b = append(b, `{"target":`...)
		b = jsonwire.AppendString(b, a.Target)
		b = append(b, `,"arguments":`...)
		if len(a.Arguments) == 0 {
			b = append(b, "[]"...)
		} else if b, err = appendJSONValue(b, a.Arguments); err != nil {
			return nil, err
		}
		b = appendOptional(b, "userId", a.UserID)
		b = appendOptional(b, "groupName", a.GroupName)
		b = appendOptional(b, "connectionId", a.ConnectionID)
		if len(a.Endpoints) > 0 {
			b = append(b, `,"endpoints":`...)
			if b, err = appendJSONValue(b, a.Endpoints); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case signalr.GroupAction:
		b = append(b, `{"action":`...)
		b = jsonwire.AppendString(b, string(a.Action))
		b = appendOptional(b, "userId", a.UserID)
		b = appendOptional(b, "groupName", a.GroupName)
		b = appendOptional(b, "connectionId", a.ConnectionID)
		if len(a.Endpoints) > 0 {
			b = append(b, `,"endpoints":`...)
			if b, err = appendJSONValue(b, a.Endpoints); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return appendJSONValue(b, item)
}

func appendOptional(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonwire.AppendString(b, value)
}

func appendJSONValue(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// sortedKeysInto appends the keys of m to dst in order; a stack array as dst avoids allocation
// for the few keys a response has.
func sortedKeysInto[V any](dst []string, m map[string]V) []string {
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst
}
