package bindings

import (
	"fmt"

	"github.com/funcsignalr/funcsignalr/trigger"
)

// Invocation decodes a signalRTrigger input: the extension's InvocationContext, which the host
// sends as an object with PascalCase keys (Arguments, ConnectionId, UserId, …).
func (r *invokeRequest) invocationContext(name string) (trigger.InvocationContext, error) {
	var c trigger.InvocationContext
	if err := r.decode(name, &c); err != nil {
		return trigger.InvocationContext{}, err
	}
	if c.Hub == "" && c.ConnectionID == "" && c.Category == "" {
		return trigger.InvocationContext{}, fmt.Errorf("bindings: input binding %q is not a SignalR invocation context; expected {Arguments, Category, Event, Hub, ConnectionId, …}", name)
	}
	return c, nil
}
