package bindings

import (
	"fmt"
	"strings"
	"time"

	"github.com/funcsignalr/funcsignalr/bindings/internal/timer"
)

// TimerOptions configures a timer function. A nil pointer means defaults.
type TimerOptions struct {
	// RunOnStartup also runs the function once whenever the host starts. Microsoft advises
	// against it in production, where the host restarts at will (scale-out, deployments).
	RunOnStartup bool
	// DisableMonitor sets the binding's useMonitor to false: the host then keeps no schedule
	// status in storage, so runs missed while the app was down are not caught up and
	// TimerInfo.ScheduleStatus is nil. The local runner keeps no status either way.
	DisableMonitor bool
}

// Timer registers a function that runs on a schedule: a timerTrigger named "timer" with
// schedule as an NCRONTAB expression of six fields, seconds first ("0 */5 * * * *" is every
// five minutes), a .NET TimeSpan such as "00:30:00", or an app setting such as
// "%ReportSchedule%" holding either. A literal schedule the host would refuse is an error here;
// a setting is resolved when the app starts. In the handler, inv.TimerInfo reads the trigger.
// App.Main's start command fires it locally on schedule, and POST /admin/functions/<name> runs
// it at once.
func (a *App) Timer(name, schedule string, opts *TimerOptions, handler HandlerFunc, extra ...Binding) error {
	if opts == nil {
		opts = &TimerOptions{}
	}
	if !strings.Contains(schedule, "%") {
		if _, err := timer.ParseSchedule(schedule); err != nil {
			return fmt.Errorf("bindings: function %q: %w", name, err)
		}
	}
	props := map[string]any{"schedule": schedule}
	if opts.RunOnStartup {
		props["runOnStartup"] = true
	}
	if opts.DisableMonitor {
		props["useMonitor"] = false
	}
	bs := append([]Binding{GenericBinding(timer.TriggerType, DirectionIn, "timer", props)}, extra...)
	return a.Func(name, handler, bs...)
}

// TimerInfo is a timer trigger's value: the extension's TimerInfo, which the host sends as an
// object with PascalCase names.
type TimerInfo struct {
	// Schedule describes the schedule.
	Schedule struct {
		// AdjustForDST is true for NCRONTAB schedules, which follow daylight-saving changes.
		AdjustForDST bool
	}
	// ScheduleStatus is the last and next runs the host keeps in storage; nil without a
	// monitor (DisableMonitor, or a schedule that runs more than once a minute).
	ScheduleStatus *TimerScheduleStatus
	// IsPastDue is true for a run that is late, such as one the host missed while stopped.
	IsPastDue bool
}

// TimerScheduleStatus is TimerInfo.ScheduleStatus.
type TimerScheduleStatus struct {
	// Last is the previous run, the zero time before the first one.
	Last time.Time
	// Next is the run this one was due at, or the next one.
	Next time.Time
	// LastUpdated is when the status was last written.
	LastUpdated time.Time
}

// TimerInfo decodes the function's timer trigger.
func (inv *Invocation) TimerInfo() (TimerInfo, error) {
	if !inv.fn.trigger.Is(timer.TriggerType) {
		return TimerInfo{}, fmt.Errorf("bindings: function %q is not triggered by a timer", inv.Function)
	}
	var info TimerInfo
	if err := inv.Input(inv.fn.trigger.Name, &info); err != nil {
		return TimerInfo{}, err
	}
	return info, nil
}
