package signalrtest

import (
	"fmt"
	"log/slog"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// Options and *Server hold access keys. Their String methods redact them; these methods make
// every fmt verb (fmt.Formatter, which covers %#v and %d) and slog (slog.LogValuer) print the
// same redacted text. A Server holds locks and is only used by pointer.

// Format prints String for every verb.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }

// LogValue logs String.
func (o Options) LogValue() slog.Value { return redact.Value(o.String()) }

// Format prints String for every verb.
func (s *Server) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }

// LogValue logs String.
func (s *Server) LogValue() slog.Value { return redact.Value(s.String()) }
