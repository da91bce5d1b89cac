package corelog

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Reasons the host gives in "Executing '…' (Reason='…', …)". The WebJobs SDK formats them in
// FunctionStartedMessageExtensions.FormatReason (azure-webjobs-sdk
// src/Microsoft.Azure.WebJobs.Protocols): a host call has a fixed text, a triggered run asks
// the trigger's TriggerParameterDescriptor, and a trigger without one logs null, which
// Microsoft.Extensions.Logging writes as "(null)".
const (
	// ReasonHostCall is the reason for functions the host calls itself (JobHost.CallAsync):
	// every HTTP-triggered function, and any function run through the admin endpoint
	// POST /admin/functions/<name>.
	ReasonHostCall = "This function was programmatically called via the host APIs."
	// ReasonNone is what the host logs for triggers whose extension gives no reason, such as
	// signalRTrigger (SignalRTriggerBinding.ToParameterDescriptor returns a plain
	// ParameterDescriptor), eventHubTrigger and the Durable triggers.
	ReasonNone = "(null)"
)

// TimerReason is the reason of a scheduled timer run: "Timer fired at " and the local time in
// .NET's round-trip format, such as "Timer fired at 2024-10-07T14:08:50.0203981-07:00"
// (TimerTriggerBinding.TimerTriggerParameterDescriptor.GetTriggerReason in
// azure-webjobs-sdk-extensions, which formats DateTime.Now with "o").
func TimerReason(firedAt time.Time) string {
	return "Timer fired at " + firedAt.Format("2006-01-02T15:04:05.0000000-07:00")
}

// TriggerReason is the reason the host logs when a function's own trigger runs it: the host
// call text for httpTrigger (the host invokes HTTP functions through JobHost.CallAsync),
// TimerReason for timerTrigger, ReasonNone for the rest. Types compare without regard to case.
// Runs through the admin endpoint always use ReasonHostCall.
func TriggerReason(triggerType string, at time.Time) string {
	switch strings.ToLower(triggerType) {
	case "httptrigger":
		return ReasonHostCall
	case "timertrigger":
		return TimerReason(at)
	}
	return ReasonNone
}

// Detail is one trigger detail, logged after the Executing line as the host's
// FunctionInstanceLogger does ("Trigger Details: UnscheduledInvocationReason: RunOnStartup").
type Detail struct {
	Name, Value string
}

// Options configures a Logger; the zero value is usable.
type Options struct {
	// Now is the clock for timestamps and durations; nil means time.Now.
	Now func() time.Time
	// MaxLineBytes bounds each message after escaping; longer ones are cut and say how many
	// bytes were left out. 0 means 8192.
	MaxLineBytes int
	// MaxLogLines bounds the handler Logs lines written per invocation; the rest are counted
	// in one line. 0 means 1000.
	MaxLogLines int
}

// Logger writes Core Tools–style log lines to an io.Writer: each line is
// "[<UTC time to the millisecond>Z] <message>", as Core Tools' ColoredConsoleLogger prefixes
// them, without colours. Every message is one line: line breaks, other control characters,
// invalid UTF-8 and bidirectional-text controls in it are written as visible escapes, so text
// from a handler can neither start a line of its own nor hide what follows. It is safe for
// concurrent use; a line is written with one Write call.
type Logger struct {
	w        io.Writer
	now      func() time.Time
	maxLine  int
	maxLines int
	mu       sync.Mutex
	buf      []byte
}

// New returns a Logger writing to w.
func New(w io.Writer, o *Options) *Logger {
	l := &Logger{w: w, now: time.Now, maxLine: 8192, maxLines: 1000}
	if o != nil {
		if o.Now != nil {
			l.now = o.Now
		}
		if o.MaxLineBytes > 0 {
			l.maxLine = o.MaxLineBytes
		}
		if o.MaxLogLines > 0 {
			l.maxLines = o.MaxLogLines
		}
	}
	return l
}

// Print writes one line; parts are joined without separators, each sanitised.
func (l *Logger) Print(parts ...string) {
	l.line(l.now(), parts...)
}

func (l *Logger) line(at time.Time, parts ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	b = append(b, '[')
	b = at.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, "] "...)
	budget := l.maxLine
	for i, p := range parts {
		var left int
		b, budget, left = appendSanitized(b, p, budget)
		if left > 0 {
			for _, rest := range parts[i+1:] {
				left += len(rest)
			}
			b = append(b, "… ("...)
			b = strconv.AppendInt(b, int64(left), 10)
			b = append(b, " more bytes)"...)
			break
		}
	}
	b = append(b, '\n')
	_, _ = l.w.Write(b) // a log that cannot be written must not stop the app
	if cap(b) <= 64<<10 {
		l.buf = b
	}
}

// Invocation is one function invocation being logged.
type Invocation struct {
	l        *Logger
	function string
	id       string
	start    time.Time
	mu       sync.Mutex
	logLines int
	dropped  int
	ended    bool
}

// Start writes "Executing 'Functions.<function>' (Reason='<reason>', Id=<id>)" and a
// "Trigger Details: …" line when details are given, and returns the invocation to end.
// The format is the host's (FunctionInstanceLogger in azure-webjobs-sdk).
func (l *Logger) Start(function, reason, id string, details ...Detail) *Invocation {
	inv := &Invocation{l: l, function: function, id: id, start: l.now()}
	l.line(inv.start, "Executing 'Functions.", function, "' (Reason='", reason, "', Id=", id, ")")
	if len(details) > 0 {
		parts := []string{"Trigger Details: "}
		for i, d := range details {
			if i > 0 {
				parts = append(parts, ", ")
			}
			parts = append(parts, d.Name, ": ", d.Value)
		}
		l.line(inv.start, parts...)
	}
	return inv
}

// Logs writes the handler's Logs entries, one line each, as the host logs each entry of an
// invocation response's Logs (DefaultHttpWorkerService.ProcessLogsFromHttpResponse). Past
// MaxLogLines per invocation, lines are counted instead and reported by End.
func (inv *Invocation) Logs(lines ...string) {
	for _, s := range lines {
		inv.mu.Lock()
		over := inv.logLines >= inv.l.maxLines
		if over {
			inv.dropped++
		} else {
			inv.logLines++
		}
		inv.mu.Unlock()
		if !over {
			inv.l.Print(s)
		}
	}
}

// End writes "Executed 'Functions.<function>' (Succeeded, Id=<id>, Duration=<n>ms)", or
// Failed when err is not nil followed by the failure as the host reports it: "Exception while
// executing function: Functions.<function>. <err>". The duration is in whole milliseconds,
// truncated, as the host writes it. Only the first call writes.
func (inv *Invocation) End(err error) {
	inv.mu.Lock()
	if inv.ended {
		inv.mu.Unlock()
		return
	}
	inv.ended = true
	dropped := inv.dropped
	inv.mu.Unlock()
	l := inv.l
	end := l.now()
	if dropped > 0 {
		l.line(end, "… ", strconv.Itoa(dropped), " more log lines from the handler were left out")
	}
	status := "Succeeded"
	if err != nil {
		status = "Failed"
	}
	ms := end.Sub(inv.start).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	l.line(end, "Executed 'Functions.", inv.function, "' (", status, ", Id=", inv.id, ", Duration=", strconv.FormatInt(ms, 10), "ms)")
	if err != nil {
		msg := err.Error()
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		l.line(end, "Exception while executing function: Functions.", inv.function, ". ", msg)
	}
}

// appendSanitized appends s to b with everything that could break or disguise a log line
// escaped, within budget bytes. It returns the new buffer, the budget left, and how many bytes
// of s did not fit (0 when all did). Work is bounded by the budget, not by len(s).
func appendSanitized(b []byte, s string, budget int) ([]byte, int, int) {
	var esc [12]byte
	for i := 0; i < len(s); {
		c := s[i]
		var piece []byte
		size := 1
		switch {
		case c == '\t' || (c >= 0x20 && c < 0x7f):
			if budget < 1 {
				return b, budget, len(s) - i
			}
			b = append(b, c)
			budget--
			i++
			continue
		case c == '\n':
			piece = append(esc[:0], `\n`...)
		case c == '\r':
			piece = append(esc[:0], `\r`...)
		case c < 0x20 || c == 0x7f:
			piece = appendHex(esc[:0], `\x`, uint32(c), 2)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			size = n
			switch {
			case r == utf8.RuneError && n == 1:
				piece = appendHex(esc[:0], `\x`, uint32(c), 2)
			case needsEscape(r):
				piece = appendHex(esc[:0], `\u`, uint32(r), 4)
			default:
				piece = append(esc[:0], s[i:i+n]...)
			}
		}
		if len(piece) > budget {
			return b, budget, len(s) - i
		}
		b = append(b, piece...)
		budget -= len(piece)
		i += size
	}
	return b, budget, 0
}

// needsEscape reports runes that end a line for some readers (C1 controls such as NEL, line
// and paragraph separators) or reorder the text around them (bidirectional controls).
func needsEscape(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case r == '\u061c' || r == '\u200e' || r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e':
		return true
	case r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

func appendHex(b []byte, prefix string, v uint32, digits int) []byte {
	b = append(b, prefix...)
	for d := digits - 1; d >= 0; d-- {
		b = append(b, "0123456789abcdef"[(v>>(4*d))&0xf])
	}
	return b
}
