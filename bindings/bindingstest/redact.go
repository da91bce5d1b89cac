package bindingstest

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/funcsignalr/funcsignalr/internal/redact"
)

// String names the host by URL; its settings hold connection strings with access keys.
func (h *Host) String() string { return "bindingstest.Host(" + h.URL + ")" }

// String shows which options are set without their values: connection strings and settings
// carry access keys.
func (o Options) String() string {
	var parts []string
	if o.Addr != "" {
		parts = append(parts, "Addr: "+o.Addr)
	}
	if o.SignalRConnectionString != "" {
		parts = append(parts, "SignalRConnectionString: REDACTED")
	}
	if len(o.Settings) > 0 {
		names := make([]string, 0, len(o.Settings))
		for k := range o.Settings {
			names = append(names, k)
		}
		sort.Strings(names)
		parts = append(parts, "Settings: ["+strings.Join(names, " ")+"] (values REDACTED)")
	}
	if len(o.FunctionKeys) > 0 {
		names := make([]string, 0, len(o.FunctionKeys))
		for k := range o.FunctionKeys {
			names = append(names, k)
		}
		sort.Strings(names)
		parts = append(parts, "FunctionKeys: ["+strings.Join(names, " ")+"] (values REDACTED)")
	}
	if o.MasterKey != "" {
		parts = append(parts, "MasterKey: REDACTED")
	}
	if o.FunctionsDir != "" {
		parts = append(parts, "FunctionsDir: "+o.FunctionsDir)
	}
	if o.Router != nil {
		parts = append(parts, fmt.Sprintf("Router: %T", o.Router))
	}
	return "bindingstest.Options{" + strings.Join(parts, ", ") + "}"
}

// Format prints String for every verb, so %#v and %d redact too.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }

// LogValue logs String: slog's JSON handler would otherwise marshal the connection strings.
func (o Options) LogValue() slog.Value { return redact.Value(o.String()) }

// Format prints String for every verb.
func (h *Host) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// LogValue logs String.
func (h *Host) LogValue() slog.Value { return redact.Value(h.String()) }
