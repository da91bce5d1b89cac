package timer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/timer"
)

func ExampleParseSchedule() {
	s, err := timer.ParseSchedule("0 */5 * * * *")
	if err != nil {
		fmt.Println(err)
		return
	}
	from := time.Date(2024, 3, 1, 12, 3, 10, 0, time.UTC)
	for _, t := range s.NextOccurrences(2, from) {
		fmt.Println(t.Format(time.TimeOnly))
	}
	fmt.Println(s)

	_, err = timer.ParseSchedule("0 0 0 31 2 *")
	fmt.Println(err != nil)
	// Output:
	// 12:05:00
	// 12:10:00
	// Cron: '0 */5 * * * *'
	// true
}

func ExampleFromBinding() {
	settings := map[string]string{"CleanupSchedule": "0 0 3 * * *"}
	fn, err := timer.FromBinding("cleanup", map[string]any{
		"type": "timerTrigger", "direction": "in", "name": "myTimer",
		"schedule": "%CleanupSchedule%", "runOnStartup": true,
	}, func(name string) (string, bool) { v, ok := settings[name]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fn.Name, fn.Schedule, fn.RunOnStartup)

	_, err = timer.FromBinding("report", map[string]any{"schedule": "%Missing%"}, nil)
	fmt.Println(err.(*timer.ScheduleError).Reason)
	// Output:
	// cleanup Cron: '0 0 3 * * *' true
	// '%Missing%' does not resolve to a value: no app setting "Missing" is set
}

func ExampleScheduler() {
	s, _ := timer.ParseSchedule("0 0 * * * *")
	ctx, cancel := context.WithCancel(context.Background())
	sched, err := timer.NewScheduler([]timer.Function{{Name: "hourly", Schedule: s, RunOnStartup: true, UseMonitor: true}},
		func(_ context.Context, f timer.Firing) {
			data, _ := json.Marshal(f.Info)
			fmt.Println(f.Function, f.UnscheduledReason, len(data) > 0)
			cancel() // one run is enough for the example
		}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sched.Run(ctx))
	// Output:
	// hourly RunOnStartup true
	// <nil>
}

func ExampleTimerInfo_MarshalJSON() {
	info := timer.TimerInfo{
		Schedule: timer.ScheduleInfo{AdjustForDST: true},
		ScheduleStatus: &timer.ScheduleStatus{
			Next: time.Date(2024, 3, 1, 12, 5, 0, 0, time.UTC),
		},
	}
	b, _ := json.Marshal(info)
	fmt.Println(string(b))
	// Output:
	// {"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00","Next":"2024-03-01T12:05:00+00:00","LastUpdated":"0001-01-01T00:00:00+00:00"},"IsPastDue":false}
}
