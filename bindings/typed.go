package bindings

import (
	"context"
	"fmt"

	"github.com/funcsignalr/funcsignalr/internal/typed"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// SignalRMessage registers a messages-category SignalR trigger with a typed handler:
//
//	func(ctx context.Context, inv *Invocation, a A, b B, …) error
//	func(ctx context.Context, inv *Invocation, a A, b B, …) (R, error)
//
// The client's arguments are decoded into A, B, … (an argument count mismatch fails the
// invocation), and R, when present, answers the client's invoke(). When opts names
// ParameterNames there must be one per typed argument. The signature is checked here, once,
// by the compiler trigger.Router.OnMessage uses, so a handler binds its arguments the same
// way under either.
func (a *App) SignalRMessage(name, hub, event string, opts *SignalRTriggerOptions, handler any, extra ...Binding) error {
	f, err := typed.Compile(handler, (*Invocation).Bind)
	if err != nil {
		return fmt.Errorf("bindings: function %q: %w", name, err)
	}
	if opts != nil && len(opts.ParameterNames) > 0 && len(opts.ParameterNames) != f.NumArgs {
		return fmt.Errorf("bindings: function %q: %d parameterNames for a handler taking %d arguments; the extension fails every invocation whose argument count differs", name, len(opts.ParameterNames), f.NumArgs)
	}
	h := func(ctx context.Context, inv *Invocation) error {
		result, err := f.Call(ctx, inv)
		if err != nil {
			return err
		}
		if f.HasResult {
			inv.Return(result)
		}
		return nil
	}
	return a.SignalRTrigger(name, hub, trigger.CategoryMessages, event, opts, h, extra...)
}
