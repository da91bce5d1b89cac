package bindings

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/negotiate"
)

// InvokeRequest is the body the Functions host POSTs to a custom handler for one invocation:
// one Data entry per trigger and input binding, keyed by binding name, and the trigger's
// binding data in Metadata.
//
// Values are kept as the host sent them; Decode and the typed accessors undo the host's
// encoding (strings, numbers, bools and arrays serialized a second time, byte[] as base64).
type InvokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// Decode stores the input binding name from Data in v, a non-nil pointer, undoing exactly as
// many layers of host encoding as the type of v calls for:
//
//   - *string gets the original string: a value serialized twice ("\"hi\"") loses both layers;
//     a base64 or date string is returned as is.
//   - *[]byte gets the bytes of a base64 value (byte[] inputs) or of a serialized string.
//   - *time.Time parses a DateTime, in ISO 8601 or in .NET's invariant "01/02/2006 15:04:05".
//   - *bool takes true and false in any casing: JSON's true as well as .NET's True.
//   - *json.RawMessage gets the JSON of the original value.
//   - any other type is decoded from the JSON the value holds after the host's layers are
//     removed: numbers, bools and arrays from their serialized form, structs and maps from an
//     object or from JSON text carried in a string (queue messages, signalRConnectionInfo).
func (r *InvokeRequest) Decode(name string, v any) error {
	raw, ok := r.Data[name]
	if !ok {
		return fmt.Errorf("bindings: no input binding %q in the invocation; it has %s", name, keyList(r.Data))
	}
	if err := decodeValue(raw, v); err != nil {
		return fmt.Errorf("bindings: decoding input binding %q: %w", name, err)
	}
	return nil
}

// DecodeMetadata is Decode for an entry of Metadata: trigger binding data such as a query
// parameter, a property of a JSON request body, a SignalR trigger parameter named in
// parameterNames, or sys.
//
// The host turns each top-level scalar property of a JSON request body into a .NET string
// before serializing it again (spec §8.2): {"n":2,"ok":true,"at":"2024-01-02T03:04:05Z"}
// arrives as "\"2\"", "\"True\"" and "\"01/02/2024 03:04:05\"". DecodeMetadata reads these
// back into numbers (parsed from the inner text), bools (True and False accepted) and
// time.Time; decoding into a string gives the .NET text.
func (r *InvokeRequest) DecodeMetadata(name string, v any) error {
	raw, ok := r.Metadata[name]
	if !ok {
		return fmt.Errorf("bindings: no metadata %q in the invocation; it has %s", name, keyList(r.Metadata))
	}
	if err := decodeValue(raw, v); err != nil {
		return fmt.Errorf("bindings: decoding metadata %q: %w", name, err)
	}
	return nil
}

// Sys is the system binding data every invocation carries in Metadata.sys.
type Sys struct {
	// MethodName is the function name.
	MethodName string `json:"MethodName"`
	// UtcNow is the host's clock when the invocation started.
	UtcNow time.Time `json:"UtcNow"`
	// RandGuid is a fresh GUID, the value of the {rand-guid} binding expression.
	RandGuid string `json:"RandGuid"`
}

// Sys decodes Metadata.sys.
func (r *InvokeRequest) Sys() (Sys, error) {
	var wire struct {
		MethodName string
		UtcNow     json.RawMessage
		RandGuid   string
	}
	if err := r.DecodeMetadata("sys", &wire); err != nil {
		return Sys{}, err
	}
	s := Sys{MethodName: wire.MethodName, RandGuid: wire.RandGuid}
	if len(wire.UtcNow) > 0 && string(wire.UtcNow) != "null" {
		if err := decodeValue(wire.UtcNow, &s.UtcNow); err != nil {
			return Sys{}, fmt.Errorf("bindings: decoding metadata \"sys\": UtcNow: %w", err)
		}
	}
	return s, nil
}

// connectionInfoWire is the extension's SignalRConnectionInfo: camelCase, as JObject.FromObject
// writes it.
type connectionInfoWire struct {
	URL                  string `json:"url"`
	AccessToken          string `json:"accessToken"`
	TokenLifetimeSeconds *int64 `json:"tokenLifetimeSeconds,omitempty"`
}

// ConnectionInfo decodes a signalRConnectionInfo input. The host sends it encoded three times
// (the extension's indented JSON, serialized as a string, inside the JSON body); a single
// encoding and a plain object are accepted too.
func (r *InvokeRequest) ConnectionInfo(name string) (negotiate.ConnectionInfo, error) {
	var w connectionInfoWire
	if err := r.Decode(name, &w); err != nil {
		return negotiate.ConnectionInfo{}, err
	}
	if w.URL == "" || w.AccessToken == "" {
		return negotiate.ConnectionInfo{}, fmt.Errorf("bindings: input binding %q is not connection info; expected {url, accessToken}", name)
	}
	info := negotiate.ConnectionInfo{URL: w.URL, AccessToken: w.AccessToken}
	if w.TokenLifetimeSeconds != nil {
		info.TokenLifetime = time.Duration(*w.TokenLifetimeSeconds) * time.Second
	}
	return info, nil
}

// keyList names the keys of m for error messages, sorted; values are never shown since they
// may hold tokens.
func keyList(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "[" + strings.Join(keys, ", ") + "]"
}

// errNoPayload is returned when a request body is not an invocation payload.
var errNoPayload = errors.New("bindings: request body is not an invocation payload; expected {\"Data\":{…},\"Metadata\":{…}}")
