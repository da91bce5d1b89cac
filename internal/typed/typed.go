// Package typed compiles typed SignalR message handlers, the one implementation behind
// trigger.Router.OnMessage and bindings.App.SignalRMessage. A handler has the form
//
//	func(ctx context.Context, c C, a A, b B, …) error
//	func(ctx context.Context, c C, a A, b B, …) (R, error)
//
// where C is the invocation context of the caller (*trigger.Invocation, *bindings.Invocation)
// and A, B, … are decoded from the client's arguments. The signature is checked once, at
// registration; common shapes are then called directly, the others through reflect with a plan
// built at compile time. Both callers bind arguments with the same rules (trigger's argument
// decoding, errors as *trigger.ArgumentError), so a handler behaves the same under either.
package typed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Func is a compiled handler.
type Func[C any] struct {
	// Call binds the arguments with the bind function given to Compile, then calls the
	// handler. result is nil for a handler without R.
	Call func(ctx context.Context, c C) (result any, err error)
	// NumArgs is the number of typed arguments the handler takes.
	NumArgs int
	// HasResult reports whether the handler returns a result before its error.
	HasResult bool
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// Compile checks fn's signature and returns a Func calling it. bind decodes the client's
// arguments of an invocation into pointers, in order, and fails when their number differs.
func Compile[C any](fn any, bind func(c C, dst ...any) error) (Func[C], error) {
	if v := reflect.ValueOf(fn); !v.IsValid() || (v.Kind() == reflect.Func && v.IsNil()) {
		return Func[C]{}, errors.New("nil handler")
	}
	switch f := fn.(type) {
	case func(context.Context, C) error:
		return Func[C]{Call: func(ctx context.Context, c C) (any, error) {
			if err := bind(c); err != nil {
				return nil, err
			}
			return nil, f(ctx, c)
		}}, nil
	case func(context.Context, C) (any, error):
		return Func[C]{HasResult: true, Call: func(ctx context.Context, c C) (any, error) {
			if err := bind(c); err != nil {
				return nil, err
			}
			return f(ctx, c)
		}}, nil
	case func(context.Context, C, string) error:
		return Func[C]{NumArgs: 1, Call: func(ctx context.Context, c C) (any, error) {
			var a string
			if err := bind(c, &a); err != nil {
				return nil, err
			}
			return nil, f(ctx, c, a)
		}}, nil
	case func(context.Context, C, string) (string, error):
		return Func[C]{NumArgs: 1, HasResult: true, Call: func(ctx context.Context, c C) (any, error) {
			var a string
			if err := bind(c, &a); err != nil {
				return nil, err
			}
			return f(ctx, c, a)
		}}, nil
	case func(context.Context, C, string, string) error:
		return Func[C]{NumArgs: 2, Call: func(ctx context.Context, c C) (any, error) {
			// One variable for both: bind's arguments escape, and one allocation is cheaper than two.
			var v struct{ a, b string }
			if err := bind(c, &v.a, &v.b); err != nil {
				return nil, err
			}
			return nil, f(ctx, c, v.a, v.b)
		}}, nil
	case func(context.Context, C, string, string) (string, error):
		return Func[C]{NumArgs: 2, HasResult: true, Call: func(ctx context.Context, c C) (any, error) {
			// One variable for both: bind's arguments escape, and one allocation is cheaper than two.
			var v struct{ a, b string }
			if err := bind(c, &v.a, &v.b); err != nil {
				return nil, err
			}
			return f(ctx, c, v.a, v.b)
		}}, nil
	case func(context.Context, C, json.RawMessage) (any, error):
		return Func[C]{NumArgs: 1, HasResult: true, Call: func(ctx context.Context, c C) (any, error) {
			var a json.RawMessage
			if err := bind(c, &a); err != nil {
				return nil, err
			}
			return f(ctx, c, a)
		}}, nil
	}
	return compileReflect(fn, bind)
}

func compileReflect[C any](fn any, bind func(c C, dst ...any) error) (Func[C], error) {
	v := reflect.ValueOf(fn)
	t := v.Type()
	ctxType := reflect.TypeFor[C]()
	want := fmt.Sprintf("want func(context.Context, %s, args...) error or (R, error), got %s", ctxType, t)
	if t.Kind() != reflect.Func || t.IsVariadic() || t.NumIn() < 2 || t.In(0) != contextType || t.In(1) != ctxType {
		return Func[C]{}, errors.New(want)
	}
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
	case t.NumOut() == 2 && t.Out(1) == errorType:
	default:
		return Func[C]{}, errors.New(want)
	}
	argTypes := make([]reflect.Type, t.NumIn()-2)
	for i := range argTypes {
		at := t.In(i + 2)
		switch at.Kind() {
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			return Func[C]{}, fmt.Errorf("argument %d of type %s cannot be decoded from JSON", i, at)
		}
		argTypes[i] = at
	}
	hasResult := t.NumOut() == 2
	call := func(ctx context.Context, c C) (any, error) {
		in := make([]reflect.Value, 2+len(argTypes))
		in[0], in[1] = reflect.ValueOf(ctx), reflect.ValueOf(c)
		if ctx == nil {
			in[0] = reflect.Zero(contextType)
		}
		if !in[1].IsValid() {
			in[1] = reflect.Zero(ctxType) // a nil interface C
		}
		dst := make([]any, len(argTypes))
		for i, at := range argTypes {
			p := reflect.New(at)
			in[2+i] = p.Elem()
			dst[i] = p.Interface()
		}
		if err := bind(c, dst...); err != nil {
			return nil, err
		}
		out := v.Call(in)
		var err error
		if errV := out[len(out)-1]; !errV.IsNil() {
			err = errV.Interface().(error)
		}
		if !hasResult || err != nil {
			return nil, err
		}
		return out[0].Interface(), nil
	}
	return Func[C]{Call: call, NumArgs: len(argTypes), HasResult: hasResult}, nil
}
