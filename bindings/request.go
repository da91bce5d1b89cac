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

// invokeRequest is the body the Functions host POSTs to a custom handler for one invocation:
// one Data entry per trigger and input binding, keyed by binding name, and the trigger's
// binding data in Metadata.
//
// Values are kept as the host sent them; decode and the typed readers undo the host's
// encoding (strings, numbers, bools and arrays serialized a second time, byte[] as base64), as
// Invocation.Input documents.
type invokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// decode stores the input binding name from Data in v, a non-nil pointer, undoing as many
// layers of host encoding as the type of v calls for (see Invocation.Input).
func (r *invokeRequest) decode(name string, v any) error {
	raw, ok := r.Data[name]
	if !ok {
		return fmt.Errorf("bindings: no input binding %q in the invocation; it has %s", name, keyList(r.Data))
	}
	if err := decodeValue(raw, v); err != nil {
		return fmt.Errorf("bindings: decoding input binding %q: %w", name, err)
	}
	return nil
}

// decodeMetadata is decode for an entry of Metadata, the trigger's binding data (see
// Invocation.Metadata, and spec §8.2 for the .NET strings of JSON body properties).
func (r *invokeRequest) decodeMetadata(name string, v any) error {
	raw, ok := r.Metadata[name]
	if !ok {
		return fmt.Errorf("bindings: no metadata %q in the invocation; it has %s", name, keyList(r.Metadata))
	}
	if err := decodeValue(raw, v); err != nil {
		return fmt.Errorf("bindings: decoding metadata %q: %w", name, err)
	}
	return nil
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
func (r *invokeRequest) connectionInfo(name string) (negotiate.ConnectionInfo, error) {
	var w connectionInfoWire
	if err := r.decode(name, &w); err != nil {
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
