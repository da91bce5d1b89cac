package jsonwire

import (
	"bytes"
	"encoding/json"
)

// EachMember calls fn for each member of the JSON object obj, in document order, and stops at
// fn's first error. A repeated name is seen twice, so a caller that stores members lets the
// later value win, as Newtonsoft's JObject (the Functions host's and the SignalR extension's
// reader) does.
func EachMember(obj []byte, fn func(k string, v json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}
