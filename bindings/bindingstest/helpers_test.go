package bindingstest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/bindings/internal/apphooks"
)

// writeFunctionJSON writes app's host.json and function.json files into dir, as the program's
// functionjson command does.
func writeFunctionJSON(t *testing.T, app *bindings.App, dir string) {
	t.Helper()
	m, ok := apphooks.Manifest(app)
	require.True(t, ok)
	require.NoError(t, m.Write(dir))
}

// replay reads a payload the host sent as a handler reads it: it runs the payload through a
// one-function App whose trigger is trig and lets inspect use the invocation's accessors.
func replay(t *testing.T, payload []byte, trig bindings.Binding, inspect func(inv *bindings.Invocation)) {
	t.Helper()
	app := bindings.NewApp(&bindings.AppOptions{Logger: quiet})
	require.NoError(t, app.Func("replay", func(_ context.Context, inv *bindings.Invocation) error {
		inspect(inv)
		return nil
	}, trig))
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/replay", bytes.NewReader(payload)))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}
