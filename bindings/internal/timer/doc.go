// Package timer runs timer-triggered functions locally the way the Azure Functions host does.
//
// ParseSchedule reads a schedule as the host's timer extension reads it: an NCRONTAB
// expression of six fields with seconds first (five fields, without seconds, also work), or a
// .NET TimeSpan such as 00:30:00 for a fixed interval. FromBinding reads a function.json
// timerTrigger binding (schedule with %AppSetting% references expanded by Expand,
// runOnStartup, useMonitor), and errors name the function and the expected form without
// repeating a value taken from an app setting.
//
// A Scheduler fires each function on time through a callback, with an injectable Clock: runs
// of one function never overlap, an overrun is followed by one catch-up run, RunOnStartup runs
// once at start, and Run stops when its context is done. Each Firing carries the TimerInfo the
// host puts in Data[<trigger name>] (TimerInfo.MarshalJSON writes the host's bytes) and the
// time the host logs as the reason; Metadata writes the invocation's Metadata. There is no
// storage: past-due runs after a restart do not happen, and useMonitor only decides, as in the
// host, whether TimerInfo.ScheduleStatus is null.
//
// Cron calendars come from github.com/robfig/cron/v3. This package narrows its input to what
// the host's NCrontab accepts and makes day-of-month and day-of-week both required when both
// are restricted, as NCrontab does. Around daylight-saving transitions robfig's choices apply,
// not the host's adjustments (CronSchedule.TryAdjustAmbiguousTime).
package timer
