package typed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inv stands in for an invocation context: its arguments in JSON, bound with encoding/json.
type inv struct{ args []string }

var errCount = errors.New("argument count differs")

func bind(c *inv, dst ...any) error {
	if len(dst) != len(c.args) {
		return fmt.Errorf("%w: %d sent, %d wanted", errCount, len(c.args), len(dst))
	}
	for i, d := range dst {
		if err := json.Unmarshal([]byte(c.args[i]), d); err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
	}
	return nil
}

type point struct{ X, Y int }

var errHandler = errors.New("handler failed")

func TestCompileShapes(t *testing.T) {
	tests := []struct {
		name      string
		fn        any
		args      []string
		numArgs   int
		hasResult bool
		result    any
		err       error
	}{
		{"no args", func(context.Context, *inv) error { return nil }, nil, 0, false, nil, nil},
		{"no args, any result", func(context.Context, *inv) (any, error) { return 7, nil }, nil, 0, true, 7, nil},
		{"string", func(_ context.Context, _ *inv, a string) error {
			if a != "x" {
				return errors.New(a)
			}
			return nil
		}, []string{`"x"`}, 1, false, nil, nil},
		{"string to string", func(_ context.Context, _ *inv, a string) (string, error) { return a + "!", nil }, []string{`"x"`}, 1, true, "x!", nil},
		{"two strings", func(_ context.Context, _ *inv, a, b string) error { return nil }, []string{`"a"`, `"b"`}, 2, false, nil, nil},
		{"two strings to string", func(_ context.Context, _ *inv, a, b string) (string, error) { return a + b, nil }, []string{`"a"`, `"b"`}, 2, true, "ab", nil},
		{"raw", func(_ context.Context, _ *inv, a json.RawMessage) (any, error) { return string(a), nil }, []string{`{"k":1}`}, 1, true, `{"k":1}`, nil},
		{"reflect: struct and int", func(_ context.Context, _ *inv, p point, n int) (int, error) { return p.X + p.Y + n, nil }, []string{`{"X":1,"Y":2}`, `3`}, 2, true, 6, nil},
		{"reflect: error only", func(_ context.Context, _ *inv, n int) error { return errHandler }, []string{`1`}, 1, false, nil, errHandler},
		{"reflect: result dropped on error", func(_ context.Context, _ *inv, n int) (int, error) { return n, errHandler }, []string{`1`}, 1, true, nil, errHandler},
		{"fast path: count mismatch", func(_ context.Context, _ *inv, a string) error { return nil }, []string{`"a"`, `"b"`}, 1, false, nil, errCount},
		{"reflect: count mismatch", func(_ context.Context, _ *inv, n int) error { return nil }, nil, 1, false, nil, errCount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(tt.fn, bind)
			require.NoError(t, err)
			assert.Equal(t, tt.numArgs, f.NumArgs)
			assert.Equal(t, tt.hasResult, f.HasResult)
			result, err := f.Call(t.Context(), &inv{args: tt.args})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, result)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.result, result)
		})
	}
}

func TestCompileArgumentDecodeError(t *testing.T) {
	f, err := Compile(func(_ context.Context, _ *inv, n int) error {
		t.Fatal("the handler ran with an argument that did not decode")
		return nil
	}, bind)
	require.NoError(t, err)
	_, err = f.Call(t.Context(), &inv{args: []string{`"not a number"`}})
	require.ErrorContains(t, err, "argument 0")
}

func TestCompileRefusesBadSignatures(t *testing.T) {
	var nilFunc func(context.Context, *inv) error
	tests := []struct {
		name string
		fn   any
		want string
	}{
		{"nil", nil, "nil handler"},
		{"typed nil", nilFunc, "nil handler"},
		{"not a func", 42, "want func(context.Context, *typed.inv, args...) error or (R, error), got int"},
		{"no context", func(*inv) error { return nil }, "got func(*typed.inv) error"},
		{"wrong context type", func(context.Context, string) error { return nil }, "want func(context.Context, *typed.inv"},
		{"no error", func(context.Context, *inv) {}, "got func(context.Context, *typed.inv)"},
		{"error first", func(context.Context, *inv) (error, int) { return nil, 0 }, "or (R, error)"},
		{"three results", func(context.Context, *inv) (int, int, error) { return 0, 0, nil }, "or (R, error)"},
		{"variadic", func(context.Context, *inv, ...string) error { return nil }, "args...) error"},
		{"func argument", func(context.Context, *inv, func()) error { return nil }, "argument 0 of type func() cannot be decoded from JSON"},
		{"chan argument", func(context.Context, *inv, int, chan int) error { return nil }, "argument 1 of type chan int cannot be decoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.fn, bind)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// A nil context reaches a reflect-called handler as a nil interface rather than panicking in
// reflect.
func TestCompileNilContext(t *testing.T) {
	f, err := Compile(func(ctx context.Context, _ *inv, n int) (bool, error) { return ctx == nil, nil }, bind)
	require.NoError(t, err)
	//nolint:staticcheck // the point is a nil context
	got, err := f.Call(nil, &inv{args: []string{"1"}})
	require.NoError(t, err)
	assert.Equal(t, true, got)
}
