package fakehost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/funcsignalr/funcsignalr/bindings/internal/corelog"
	"github.com/funcsignalr/funcsignalr/bindings/internal/manifest"
)

// Hooks are what the local runner (App.Main's start command) adds to a host; bindingstest
// never sets them. The zero value adds nothing.
type Hooks struct {
	// Log, when set, writes Core Tools' lines for every invocation: Executing, the handler's
	// Logs, Executed, and the failure. The host's own slog lines about failed invocations are
	// then left out, as they would say the same twice.
	Log *corelog.Logger
	// DiscardRecords keeps neither Invocations nor Logs, so a host that runs for days holds
	// no more memory than one that just started.
	DiscardRecords bool
	// Admin serves the paths under /admin/, such as the admin endpoint that runs non-HTTP
	// functions; nil leaves them to the HTTP functions and Fallback.
	Admin http.Handler
	// Front, when set, wraps the host's handler, as App Service authentication stands in
	// front of the host in Azure.
	Front func(http.Handler) http.Handler
}

// span is one invocation as Hooks.Log shows it; the zero span shows nothing.
type span struct{ inv *corelog.Invocation }

// Logs writes the handler's Logs entries.
func (s span) Logs(lines ...string) {
	if s.inv != nil && len(lines) > 0 {
		s.inv.Logs(lines...)
	}
}

// End writes the Executed line; only the first call writes.
func (s span) End(err error) {
	if s.inv != nil {
		s.inv.End(err)
	}
}

type spanKey struct{}

// begin starts logging an invocation, when Hooks.Log is set, and returns a context that carries
// it to the code reading the handler's answer.
func (h *Host) begin(ctx context.Context, function, reason, id string, details ...corelog.Detail) (context.Context, span) {
	if h.hooks.Log == nil {
		return ctx, span{}
	}
	s := span{inv: h.hooks.Log.Start(function, reason, id, details...)}
	return context.WithValue(ctx, spanKey{}, s), s
}

// spanFrom returns the invocation begun for ctx, or nil outside the local runner.
func spanFrom(ctx context.Context) *span {
	if s, ok := ctx.Value(spanKey{}).(span); ok && s.inv != nil {
		return &s
	}
	return nil
}

// Function returns the declared function with the given name, matched without regard to case
// as the host matches function names.
func (h *Host) Function(name string) (manifest.Function, bool) {
	for _, fn := range h.manifest.Functions {
		if strings.EqualFold(fn.Name, name) {
			return fn, true
		}
	}
	return manifest.Function{}, false
}

// Run invokes a function whose trigger is not HTTP, as the host does when the trigger fires:
// trigger is the trigger's value exactly as it goes into Data (an object for a timer's
// TimerInfo, a JSON string for most other triggers), Metadata holds sys, the other inputs are
// resolved and the outputs applied. reason and details are what Hooks.Log shows in the
// Executing line. It returns when the invocation is over, with its failure if any.
func (h *Host) Run(ctx context.Context, name string, trigger []byte, reason string, details ...corelog.Detail) (err error) {
	fn, ok := h.Function(name)
	if !ok {
		return fmt.Errorf("no function is named %q", name)
	}
	trig, ok := fn.Trigger()
	if !ok {
		return fmt.Errorf("function %q has no trigger", fn.Name)
	}
	if trig.Is(manifest.TypeHTTPTrigger) {
		return fmt.Errorf("function %q is HTTP-triggered: call its route instead", fn.Name)
	}
	if len(trigger) == 0 {
		return errors.New("the trigger value is empty")
	}
	id := h.opts.NewGUID()
	ctx, s := h.begin(ctx, fn.Name, reason, id, details...)
	defer func() { s.End(err) }()
	d := &bindingData{}
	h.addSys(d, fn.Name)
	payload, err := h.payload(ctx, fn, trigger, d)
	if err != nil {
		h.record(Invocation{Function: fn.Name, ID: id, Err: err.Error()})
		h.logFailure("bindingstest: invocation failed", fn.Name, err)
		return err
	}
	res, err := h.invoke(ctx, fn, id, payload)
	if err != nil {
		return err
	}
	if err := h.applyOutputs(ctx, fn, res); err != nil {
		h.markFailed(id, err)
		h.logFailure("bindingstest: function failed", fn.Name, err)
		return err
	}
	return nil
}

// StringTrigger encodes a trigger value that the extension hands the host as a string, such as
// the input of a run through the admin endpoint: serialized once more, as the host does for
// every value that is not an object (spec §1.3).
func StringTrigger(s string) []byte { return appendNString(nil, string(serialize(s))) }
