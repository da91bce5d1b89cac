package bindings_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/trigger"
)

// A typed handler binds its arguments the same way on bindings.App as on trigger.Router, since
// both compile it with one compiler: the same arguments succeed or fail with the same error.
func TestTypedHandlersBindAlikeOnAppAndRouter(t *testing.T) {
	type options struct {
		To string `json:"to"`
	}
	tests := []struct {
		name string
		args string // the Arguments array the client sent
	}{
		{"matching", `["hi",{"to":"bob"}]`},
		{"too few", `["hi"]`},
		{"too many", `["hi",{"to":"bob"},3]`},
		{"string for an object", `["hi","bob"]`},
		{"number for a string", `[3,{"to":"bob"}]`},
		{"null object", `["hi",null]`},
	}
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.SignalRMessage("send", "chat", "send", nil,
		func(_ context.Context, _ *bindings.Invocation, text string, o options) (string, error) {
			return text + " " + o.To, nil
		}))
	router, err := trigger.NewRouter(&trigger.RouterOptions{ParseOptions: trigger.ParseOptions{InsecureSkipSignature: true}})
	require.NoError(t, err)
	require.NoError(t, router.OnMessage("chat", "send", func(_ context.Context, _ *trigger.Invocation, text string, o options) (string, error) {
		return text + " " + o.To, nil
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args []json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tt.args), &args))
			ic := trigger.InvocationContext{Arguments: args, Category: trigger.CategoryMessages, Event: "send", Hub: "chat", ConnectionID: "c1"}
			routerResult, routerErr := router.Dispatch(t.Context(), &trigger.Invocation{InvocationContext: ic})

			payload, err := json.Marshal(map[string]any{"Data": map[string]any{"invocation": ic}, "Metadata": map[string]any{}})
			require.NoError(t, err)
			w := invoke(t, app, "send", payload)
			var resp struct {
				Logs        []string
				ReturnValue any
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &resp))
			if routerErr == nil {
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, routerResult, resp.ReturnValue)
				return
			}
			require.Equal(t, http.StatusInternalServerError, w.Code)
			require.Len(t, resp.Logs, 1)
			assert.Equal(t, fmt.Sprintf("function send failed: %v", routerErr), resp.Logs[0])
			var argErr *trigger.ArgumentError
			assert.ErrorAs(t, routerErr, &argErr)
		})
	}
}
