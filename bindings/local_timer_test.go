package bindings

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Timers fire on their schedule, runOnStartup once at start with the host's trigger detail,
// and each run is logged with the host's reason.
func TestStartLocalFiresTimers(t *testing.T) {
	t.Parallel()
	app := NewApp(&AppOptions{Logger: quietLogger})
	var mu sync.Mutex
	var infos []TimerInfo
	require.NoError(t, app.Timer("tick", "* * * * * *", &TimerOptions{RunOnStartup: true}, func(ctx context.Context, inv *Invocation) error {
		info, err := inv.TimerInfo()
		if err != nil {
			return err
		}
		mu.Lock()
		infos = append(infos, info)
		mu.Unlock()
		inv.Log("tick %d", len(infos))
		return nil
	}))
	l := startTest(t, app, localConfig{}, "")
	assert.Contains(t, l.stdout.String(), "tick: timerTrigger, Cron: '* * * * * *', next at ")
	assert.Contains(t, l.stdout.String(), "and once now (runOnStartup)")
	eventually(t, l.stdout,
		"Trigger Details: UnscheduledInvocationReason: RunOnStartup",
		"] tick 1\n", "] tick 2\n", "] tick 3\n")
	out := l.stdout.String()
	assert.Equal(t, 1, strings.Count(out, "RunOnStartup\n"), "runOnStartup runs once")
	assert.Regexp(t, `Executing 'Functions.tick' \(Reason='Timer fired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d', Id=[0-9a-f-]{36}\)`, out)
	assert.Contains(t, out, "Executed 'Functions.tick' (Succeeded")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, infos)
	assert.True(t, infos[0].Schedule.AdjustForDST, "a cron schedule follows daylight-saving changes")
	assert.Nil(t, infos[0].ScheduleStatus, "a schedule that runs more than once a minute is not monitored")
	assert.False(t, infos[0].IsPastDue)
}

// A TimeSpan schedule from an app setting in local.settings.json.
func TestStartLocalTimerScheduleFromSetting(t *testing.T) {
	t.Parallel()
	app := NewApp(&AppOptions{Logger: quietLogger})
	require.NoError(t, app.Timer("every", "%EverySchedule%", nil, func(ctx context.Context, inv *Invocation) error {
		inv.Log("ran")
		return nil
	}))
	l := startTest(t, app, localConfig{}, `{"Values":{"EverySchedule":"00:00:01"}}`)
	assert.Contains(t, l.stdout.String(), "every: timerTrigger, Constant: 00:00:01, next at ")
	eventually(t, l.stdout, "] ran\n", "Executed 'Functions.every' (Succeeded")
}

// A schedule the host would refuse stops the start, naming the function, the setting and the
// expected forms, but not the setting's value.
func TestStartLocalRefusesBadSchedules(t *testing.T) {
	t.Parallel()
	app := NewApp(&AppOptions{Logger: quietLogger})
	require.NoError(t, app.Timer("report", "%ReportSchedule%", nil, func(context.Context, *Invocation) error { return nil }))
	env, l := testEnv(t, `{"Values":{"ReportSchedule":"every-SECRETISH-day"}}`)
	_, err := app.startLocal(localConfig{addr: "127.0.0.1:0"}, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `function "report"`)
	assert.Contains(t, err.Error(), `app setting "ReportSchedule"`)
	assert.Contains(t, err.Error(), "expected an NCRONTAB expression of six fields")
	assert.NotContains(t, err.Error(), "SECRETISH")
	assert.NotContains(t, l.stdout.String(), "Listening")

	env, _ = testEnv(t, "")
	_, err = app.startLocal(localConfig{addr: "127.0.0.1:0"}, env)
	require.ErrorContains(t, err, `no app setting "ReportSchedule" is set`)
}

func TestAppTimerDeclaration(t *testing.T) {
	t.Parallel()
	app := NewApp(nil)
	noop := func(context.Context, *Invocation) error { return nil }
	require.NoError(t, app.Timer("cleanup", "0 0 3 * * *", &TimerOptions{RunOnStartup: true, DisableMonitor: true}, noop,
		SignalROutput("signalRMessages", "chat", nil)))
	require.NoError(t, app.Timer("fromSetting", "%Schedule%", nil, noop))
	err := app.Timer("bad", "0 0 25 * * *", nil, noop)
	require.ErrorContains(t, err, `function "bad": the timerTrigger schedule "0 0 25 * * *" is not valid`)

	dir := t.TempDir()
	require.NoError(t, app.manifest().Write(dir))
	b, err := os.ReadFile(filepath.Join(dir, "cleanup", "function.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"bindings":[
		{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 0 3 * * *","runOnStartup":true,"useMonitor":false},
		{"type":"signalR","direction":"out","name":"signalRMessages","hubName":"chat"}]}`, string(b))
	b, err = os.ReadFile(filepath.Join(dir, "fromSetting", "function.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"%Schedule%"}]}`, string(b))
}

// The admin endpoint runs every function that is not HTTP-triggered, with the body's input as
// its trigger value, answering 202 as the host does; a timer gets the TimerInfo the host binds
// outside its schedule.
func TestStartLocalAdminEndpoint(t *testing.T) {
	t.Parallel()
	app := demoApp(t)
	got := make(chan string, 4)
	require.NoError(t, app.Func("process", func(ctx context.Context, inv *Invocation) error {
		var msg string
		if err := inv.Input("msg", &msg); err != nil {
			return err
		}
		got <- msg
		inv.Log("processed %s", msg)
		return nil
	}, GenericBinding("queueTrigger", DirectionIn, "msg", map[string]any{"queueName": "work", "connection": "AzureWebJobsStorage"})))
	infos := make(chan TimerInfo, 1)
	require.NoError(t, app.Timer("hourly", "0 0 * * * *", nil, func(ctx context.Context, inv *Invocation) error {
		info, err := inv.TimerInfo()
		infos <- info
		return err
	}))
	l := startTest(t, app, localConfig{}, "")
	assert.Contains(t, l.stdout.String(), "process: queueTrigger, runnable through /admin/functions only")
	assert.Contains(t, l.stdout.String(), "Run a function that is not HTTP-triggered: POST "+l.url+"admin/functions/<name> with {\"input\":\"…\"}")

	status, body := post(t, l.url+"admin/functions/Process", "application/json", `{"input":"hello \"queue\""}`)
	assert.Equal(t, http.StatusAccepted, status, body)
	select {
	case msg := <-got:
		assert.Equal(t, `hello "queue"`, msg)
	case <-time.After(10 * time.Second):
		t.Fatal("the function did not run")
	}
	eventually(t, l.stdout,
		"Executing 'Functions.process' (Reason='This function was programmatically called via the host APIs.'",
		`] processed hello "queue"`,
		"Executed 'Functions.process' (Succeeded")

	status, _ = post(t, l.url+"admin/functions/hourly", "application/json", `{}`)
	assert.Equal(t, http.StatusAccepted, status)
	select {
	case info := <-infos:
		require.NotNil(t, info.ScheduleStatus, "an hourly schedule is monitored")
		assert.Equal(t, 0, info.ScheduleStatus.Next.Minute())
		assert.True(t, info.ScheduleStatus.Next.After(time.Now()))
		assert.False(t, info.IsPastDue)
	case <-time.After(10 * time.Second):
		t.Fatal("the timer function did not run")
	}

	tests := []struct {
		name, fn, ctype, body string
		status                int
		log                   string
	}{
		{"HTTP function", "broadcast", "application/json", `{"input":"x"}`, http.StatusAccepted,
			`Exception while executing function: Functions.broadcast. function "broadcast" is HTTP-triggered and an HttpRequest is required`},
		{"SignalR trigger", "echo", "application/json", `{"input":"x"}`, http.StatusAccepted,
			`Exception while executing function: Functions.echo. function "echo" is triggered by SignalR clients through the service's upstream`},
		{"unknown function", "nothing", "application/json", `{"input":"x"}`, http.StatusNotFound, ""},
		{"not JSON", "process", "text/plain", `x`, http.StatusUnsupportedMediaType, ""},
		{"object input", "process", "application/json", `{"input":{"a":1}}`, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		status, body := post(t, l.url+"admin/functions/"+tt.fn, tt.ctype, tt.body)
		assert.Equal(t, tt.status, status, "%s: %s", tt.name, body)
		if tt.log != "" {
			eventually(t, l.stdout, tt.log)
		}
	}
}

// Stopping lets a run in progress finish rather than cancel it.
func TestStartLocalCloseLetsRunsFinish(t *testing.T) {
	t.Parallel()
	app := NewApp(&AppOptions{Logger: quietLogger})
	require.NoError(t, app.Timer("slow", "0 0 0 1 1 *", &TimerOptions{RunOnStartup: true}, func(ctx context.Context, inv *Invocation) error {
		time.Sleep(300 * time.Millisecond)
		return ctx.Err()
	}))
	l := startTest(t, app, localConfig{}, "")
	eventually(t, l.stdout, "Executing 'Functions.slow'")
	l.Close()
	assert.Contains(t, l.stdout.String(), "Executed 'Functions.slow' (Succeeded")
}
