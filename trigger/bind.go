package trigger

import (
	"errors"
	"fmt"

	"github.com/funcsignalr/funcsignalr/internal/hubproto"
)

// ArgumentError reports an invocation argument that could not be bound.
type ArgumentError struct {
	// Index is the zero-based argument position, or -1 when the count is
	// wrong.
	Index int
	// Err is the decoding error.
	Err error
}

func (e *ArgumentError) Error() string {
	if e.Index < 0 {
		return "trigger: " + e.Err.Error()
	}
	return fmt.Sprintf("trigger: argument %d: %v", e.Index, e.Err)
}

func (e *ArgumentError) Unwrap() error { return e.Err }

func bindValues(vals []hubproto.Value, dst []any) error {
	if len(vals) != len(dst) {
		return &ArgumentError{Index: -1, Err: fmt.Errorf("the client sent %d arguments, want %d", len(vals), len(dst))}
	}
	for i, d := range dst {
		if d == nil {
			continue
		}
		if err := vals[i].Decode(d); err != nil {
			return &ArgumentError{Index: i, Err: fmt.Errorf("cannot decode into %T: %w", d, cause(err))}
		}
	}
	return nil
}

// cause drops hubproto's wrapping so messages read "argument 1: cannot
// decode into *int: json: …" rather than repeating package prefixes.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
