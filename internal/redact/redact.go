// Package redact holds the one way the module's secret-bearing types print themselves.
//
// A String method alone does not keep a secret out of fmt's output: %#v uses GoString, %d
// and friends print a struct field by field, and a pointer field hit by a verb it does not
// support (%s, %q) makes fmt print the whole value raw. A type that implements fmt.Formatter
// is asked for every verb instead, so each such type formats through Format with its redacted
// text. slog's JSON handler marshals a value with encoding/json and its text handler falls
// back to %+v, so the same types also implement slog.LogValuer with Value.
package redact

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Format writes s, a value's redacted text, for any verb: quoted for %q, as is otherwise.
// Widths and flags are ignored; they could only pad or truncate it.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// Value is the slog value of a redacted text.
func Value(s string) slog.Value { return slog.StringValue(s) }
