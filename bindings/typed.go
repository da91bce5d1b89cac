package bindings

import (
	"context"
	"fmt"
	"reflect"
)

var (
	ctxType        = reflect.TypeFor[context.Context]()
	invocationType = reflect.TypeFor[*Invocation]()
	errorType      = reflect.TypeFor[error]()
)

// SignalRMessage registers a messages-category SignalR trigger with a typed handler:
//
//	func(ctx context.Context, inv *Invocation, a A, b B, …) error
//	func(ctx context.Context, inv *Invocation, a A, b B, …) (R, error)
//
// The client's arguments are decoded into A, B, … (an argument count mismatch fails the
// invocation), and R, when present, answers the client's invoke(). When opts names
// ParameterNames there must be one per typed argument. The signature is checked here, once.
func (a *App) SignalRMessage(name, hub, event string, opts *SignalRTriggerOptions, handler any, extra ...Binding) error {
	h, nargs, err := compileMessageHandler(handler)
	if err != nil {
		return fmt.Errorf("bindings: function %q: %w", name, err)
	}
	if opts != nil && len(opts.ParameterNames) > 0 && len(opts.ParameterNames) != nargs {
		return fmt.Errorf("bindings: function %q: %d parameterNames for a handler taking %d arguments; the extension fails every invocation whose argument count differs", name, len(opts.ParameterNames), nargs)
	}
	return a.SignalRTrigger(name, hub, CategoryMessages, event, opts, h, extra...)
}

func compileMessageHandler(handler any) (HandlerFunc, int, error) {
	v := reflect.ValueOf(handler)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return nil, 0, fmt.Errorf("handler is %T; expected func(context.Context, *bindings.Invocation, args…) [result,] error", handler)
	}
	t := v.Type()
	if t.IsVariadic() || t.NumIn() < 2 || t.In(0) != ctxType || t.In(1) != invocationType {
		return nil, 0, fmt.Errorf("handler %s must start with (context.Context, *bindings.Invocation) and not be variadic", t)
	}
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
	case t.NumOut() == 2 && t.Out(1) == errorType:
	default:
		return nil, 0, fmt.Errorf("handler %s must return error or (result, error)", t)
	}
	nargs := t.NumIn() - 2
	argTypes := make([]reflect.Type, nargs)
	for i := range argTypes {
		argTypes[i] = t.In(i + 2)
	}
	withResult := t.NumOut() == 2
	return func(ctx context.Context, inv *Invocation) error {
		in := make([]reflect.Value, 2+nargs)
		in[0], in[1] = reflect.ValueOf(ctx), reflect.ValueOf(inv)
		dst := make([]any, nargs)
		for i, at := range argTypes {
			p := reflect.New(at)
			dst[i] = p.Interface()
			in[2+i] = p.Elem()
		}
		if err := inv.Bind(dst...); err != nil {
			return err
		}
		out := v.Call(in)
		errv := out[len(out)-1]
		if !errv.IsNil() {
			return errv.Interface().(error)
		}
		if withResult {
			inv.Return(out[0].Interface())
		}
		return nil
	}, nargs, nil
}
