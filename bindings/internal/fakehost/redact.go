package fakehost

import (
	"fmt"
	"log/slog"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// String names the host by URL; its settings hold connection strings with access keys.
func (h *Host) String() string { return "bindingstest.Host(" + h.URL + ")" }

// Format prints String for every verb.
func (h *Host) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// LogValue logs String.
func (h *Host) LogValue() slog.Value { return redact.Value(h.String()) }
