package bindings

import (
	"context"
	"net"
)

// What Main does, reachable from the external tests without exiting the process.

const (
	PortEnv       = portEnv
	LegacyPortEnv = legacyPortEnv
)

func (a *App) Run(args []string) error                          { return a.run(args) }
func (a *App) ListenAndServe() error                            { return a.listenAndServe() }
func (a *App) Serve(ctx context.Context, ln net.Listener) error { return a.serve(ctx, ln) }

// FunctionNames lists the registered functions in registration order.
func (a *App) FunctionNames() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	names := make([]string, len(a.functions))
	for i, f := range a.functions {
		names[i] = f.decl.Name
	}
	return names
}
