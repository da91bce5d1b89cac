package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/funcsignalr/funcsignalr/bindings"
	"github.com/funcsignalr/funcsignalr/examples/internal/webassets"
	"github.com/funcsignalr/funcsignalr/signalr"
)

const (
	// hub is the SignalR hub of the task list.
	hub = "tasklist"
	// target is the client method told about every change.
	target = "taskUpdate"
	// output is the name of the signalR output binding.
	output = "signalRMessages"
)

// Actions carried by taskUpdate.
const (
	actionAdded     = "added"
	actionCompleted = "completed"
)

// taskUpdate is the one argument of the taskUpdate event.
type taskUpdate struct {
	Action string `json:"action"`
	Task   Task   `json:"task"`
}

// newApp declares the task list's functions over store; host.json and */function.json are
// generated from here.
func newApp(store Store) (*bindings.App, error) {
	page, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	app := bindings.NewApp(nil)
	out := bindings.SignalROutput(output, hub, nil)
	anon := bindings.AuthLevelAnonymous
	return app, errors.Join(
		// Anyone may watch the list: the connection carries no user.
		app.Negotiate("negotiate", hub, &bindings.NegotiateOptions{HTTPOptions: bindings.HTTPOptions{AuthLevel: anon}}),
		app.HTTP("listTasks", &bindings.HTTPOptions{Methods: []string{"get"}, AuthLevel: anon}, listTasks(store)),
		app.HTTP("addTask", &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: anon}, addTask(store), out),
		app.HTTP("completeTask", &bindings.HTTPOptions{Methods: []string{"post"}, AuthLevel: anon}, completeTask(store), out),
		webassets.Register(app, page),
	)
}

// listTasks answers the whole list, oldest first.
func listTasks(store Store) bindings.HandlerFunc {
	return func(ctx context.Context, inv *bindings.Invocation) error {
		tasks, err := store.List(ctx)
		if err != nil {
			return err
		}
		if tasks == nil {
			tasks = []Task{} // the page expects an array, never null
		}
		return inv.Respond(http.StatusOK, nil, tasks)
	}
}

// addTask adds {title} and tells every page.
func addTask(store Store) bindings.HandlerFunc {
	return func(ctx context.Context, inv *bindings.Invocation) error {
		var body struct {
			Title string `json:"title"`
		}
		if !readJSON(inv, &body) {
			return nil
		}
		task, err := store.Add(ctx, body.Title)
		if err != nil {
			return respondError(inv, http.StatusBadRequest, err)
		}
		return announce(inv, http.StatusCreated, taskUpdate{Action: actionAdded, Task: task})
	}
}

// completeTask marks task {id} done and tells every page.
func completeTask(store Store) bindings.HandlerFunc {
	return func(ctx context.Context, inv *bindings.Invocation) error {
		var body struct {
			ID string `json:"id"`
		}
		if !readJSON(inv, &body) {
			return nil
		}
		task, err := store.Complete(ctx, body.ID)
		if errors.Is(err, errNotFound) {
			return respondError(inv, http.StatusNotFound, err)
		}
		if err != nil {
			return err
		}
		return announce(inv, http.StatusOK, taskUpdate{Action: actionCompleted, Task: task})
	}
}

// announce broadcasts the change through the signalR output, which the host applies once the
// function has returned, and answers the task.
func announce(inv *bindings.Invocation, status int, u taskUpdate) error {
	if err := inv.Send(signalr.Message{Target: target, Arguments: []any{u}}); err != nil {
		return err
	}
	return inv.Respond(status, nil, u.Task)
}

// readJSON decodes the body into v; on bad input it has already answered 400.
func readJSON(inv *bindings.Invocation, v any) bool {
	req, err := inv.HTTPRequest()
	if err == nil {
		err = req.JSON(v)
	}
	if err != nil {
		_ = respondError(inv, http.StatusBadRequest, fmt.Errorf("the body is not the expected JSON object: %w", err))
		return false
	}
	return true
}

// respondError answers {"error": "..."}, which the page shows.
func respondError(inv *bindings.Invocation, status int, err error) error {
	return inv.Respond(status, nil, map[string]string{"error": err.Error()})
}
