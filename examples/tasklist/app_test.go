package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/localdev"
	"github.com/funcsignalr/funcsignalr/internal/jsclient"
)

// startTasklist runs the task list locally on a free port, as `go run ./examples/tasklist` does.
func startTasklist(t *testing.T) *localdev.Server {
	t.Helper()
	s, err := localdev.Start(localdev.Config{Name: "tasklist", Addr: "127.0.0.1:0",
		Build: func() (*bindings.App, error) { return newApp(newMemoryStore()) }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call calls an HTTP function and decodes its JSON answer into out (nil ignores it).
func call(t *testing.T, s *localdev.Server, method, fn string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+"api/"+fn, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), "body %q", raw)
	}
	return resp.StatusCode
}

// Every change reaches a listening client as taskUpdate, and the list reflects it.
func TestFunctionsWithJSClient(t *testing.T) {
	t.Parallel()
	jsclient.Require(t)
	s := startTasklist(t)
	ctx := ctxFor(t)
	c := jsclient.Start(t, jsclient.Config{URL: s.URL + "api", Targets: []string{target}})
	update := func() taskUpdate {
		t.Helper()
		ev, err := c.WaitFor(ctx, jsclient.IsMessage(target))
		require.NoError(t, err)
		var u taskUpdate
		require.NoError(t, ev.Arg(0, &u))
		return u
	}

	var list []Task
	require.Equal(t, http.StatusOK, call(t, s, http.MethodGet, "listTasks", nil, &list))
	assert.Equal(t, []Task{}, list, "an empty list is [], not null")

	var added Task
	require.Equal(t, http.StatusCreated, call(t, s, http.MethodPost, "addTask", map[string]string{"title": "write tests"}, &added))
	assert.Equal(t, Task{ID: added.ID, Title: "write tests"}, added)
	assert.Equal(t, taskUpdate{Action: actionAdded, Task: added}, update())

	var done Task
	require.Equal(t, http.StatusOK, call(t, s, http.MethodPost, "completeTask", map[string]string{"id": added.ID}, &done))
	assert.True(t, done.Done)
	assert.Equal(t, taskUpdate{Action: actionCompleted, Task: done}, update())

	require.Equal(t, http.StatusOK, call(t, s, http.MethodGet, "listTasks", nil, &list))
	assert.Equal(t, []Task{done}, list)
}

func TestFunctionsRejectBadInput(t *testing.T) {
	t.Parallel()
	s := startTasklist(t)
	tests := []struct {
		name   string
		fn     string
		body   any
		status int
		reason string
	}{
		{"empty title", "addTask", map[string]string{"title": " "}, http.StatusBadRequest, "title is empty"},
		{"not an object", "addTask", []int{1}, http.StatusBadRequest, "not the expected JSON object"},
		{"unknown task", "completeTask", map[string]string{"id": "42"}, http.StatusNotFound, `task not found: "42"`},
		{"no body", "completeTask", nil, http.StatusBadRequest, "not the expected JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var answer map[string]string
			assert.Equal(t, tt.status, call(t, s, http.MethodPost, tt.fn, tt.body, &answer))
			assert.Contains(t, answer["error"], tt.reason)
		})
	}
	for _, c := range s.Emulator().RESTCalls() {
		assert.NotEqual(t, http.MethodPost, c.Method, "nothing is broadcast for bad input: %s", c.Path)
	}
}

func TestFunctionJSONUpToDate(t *testing.T) {
	t.Parallel()
	app, err := newApp(newMemoryStore())
	require.NoError(t, err)
	require.NoError(t, app.CheckFunctionJSON("."), "regenerate with: go generate ./examples/tasklist")
}

// FuzzFunctions sends addTask and completeTask arbitrary bodies as the host delivers them: the
// app always answers the host, with a task or a reason.
func FuzzFunctions(f *testing.F) {
	for _, seed := range []struct {
		complete bool
		body     string
	}{
		{false, `{"title":"a"}`}, {false, `{"title":""}`}, {false, `{"title":7}`}, {false, `null`},
		{true, `{"id":"1"}`}, {true, `{"id":1}`}, {true, `[]`}, {true, ``},
	} {
		f.Add(seed.complete, seed.body)
	}
	f.Fuzz(func(t *testing.T, complete bool, body string) {
		app, err := newApp(newMemoryStore())
		require.NoError(t, err)
		fn := "addTask"
		if complete {
			fn = "completeTask"
		}
		req := map[string]any{"Method": "POST", "URL": "http://localhost/api/" + fn, "Headers": map[string][]string{}}
		if body != "" {
			req["Body"] = body
		}
		payload, err := json.Marshal(map[string]any{"Data": map[string]any{"req": req}, "Metadata": map[string]any{}})
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/"+fn, bytes.NewReader(payload)))
		require.Equal(t, http.StatusOK, rec.Code, "%s %q: %s", fn, body, rec.Body)
		var resp struct {
			Outputs struct {
				Res struct {
					StatusCode int    `json:"statusCode"`
					Body       string `json:"body"`
				} `json:"res"`
				SignalRMessage []json.RawMessage `json:"signalRMessages"`
			}
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
		switch resp.Outputs.Res.StatusCode {
		case http.StatusCreated:
			require.Len(t, resp.Outputs.SignalRMessage, 1, "a change is broadcast")
		case http.StatusBadRequest, http.StatusNotFound:
			var e map[string]string
			require.NoError(t, json.Unmarshal([]byte(resp.Outputs.Res.Body), &e))
			require.NotEmpty(t, e["error"])
			require.Empty(t, resp.Outputs.SignalRMessage, "nothing is broadcast for bad input")
		default:
			t.Fatalf("%s %q: status %d", fn, body, resp.Outputs.Res.StatusCode)
		}
	})
}
