package bindings

import (
	"fmt"

	"github.com/funcsignalr/funcsignalr/trigger"
)

// Invocation decodes a signalRTrigger input: the extension's InvocationContext, which the host
// sends as an object with PascalCase keys (Arguments, ConnectionId, UserId, …).
func (r *InvokeRequest) Invocation(name string) (trigger.InvocationContext, error) {
	var c trigger.InvocationContext
	if err := r.Decode(name, &c); err != nil {
		return trigger.InvocationContext{}, err
	}
	if c.Hub == "" && c.ConnectionID == "" && c.Category == "" {
		return trigger.InvocationContext{}, fmt.Errorf("bindings: input binding %q is not a SignalR invocation context; expected {Arguments, Category, Event, Hub, ConnectionId, …}", name)
	}
	return c, nil
}

// InvocationContext decodes the function's signalRTrigger. Its Bind method decodes the
// arguments into typed values.
func (inv *Invocation) InvocationContext() (trigger.InvocationContext, error) {
	if !inv.fn.trigger.Is(TypeSignalRTrigger) {
		return trigger.InvocationContext{}, fmt.Errorf("bindings: function %q is not triggered by SignalR", inv.Function)
	}
	return inv.Request.Invocation(inv.fn.trigger.Name)
}

// Bind decodes the SignalR trigger's arguments into dst, in order (nil skips one); the count
// must match what the client sent.
func (inv *Invocation) Bind(dst ...any) error {
	c, err := inv.InvocationContext()
	if err != nil {
		return err
	}
	return c.Bind(dst...)
}
