package timer

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// TimerInfo is the trigger value the host sends a custom handler for a timer trigger, in
// Data[<trigger name>]: the extension's TimerInfo object (azure-webjobs-sdk-extensions
// src/WebJobs.Extensions/Extensions/Timers/TimerInfo.cs) turned into a JSON object by
// JObject.FromObject (azure-functions-host ScriptInvocationContextExtensions.
// GetHttpScriptInvocationContextValue), so it arrives as an object, not a string, with
// PascalCase names in declaration order:
//
//	{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00","Next":"2026-09-24T13:09:00+00:00","LastUpdated":"0001-01-01T00:00:00+00:00"},"IsPastDue":false}
//
// MarshalJSON writes exactly that.
type TimerInfo struct {
	Schedule ScheduleInfo
	// ScheduleStatus is nil when the host does not monitor the schedule (useMonitor false, or a
	// schedule that runs more than once a minute); it is then written as null.
	ScheduleStatus *ScheduleStatus
	// IsPastDue is true for a run the host missed while stopped. The local scheduler keeps no
	// state between runs of the process, so it is always false here.
	IsPastDue bool
}

// ScheduleInfo is TimerInfo.Schedule: the only public property of the host's TimerSchedule.
type ScheduleInfo struct {
	AdjustForDST bool
}

// ScheduleStatus is the extension's ScheduleStatus (Scheduling/ScheduleStatus.cs).
type ScheduleStatus struct {
	// Last is the previous run, or the zero time before the first.
	Last time.Time
	// Next is the occurrence this run was due at (for a scheduled run) or the next one.
	Next time.Time
	// LastUpdated is when the status was last written.
	LastUpdated time.Time
}

// MarshalJSON writes the object as the host does.
func (ti TimerInfo) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 160)
	b = append(b, `{"Schedule":{"AdjustForDST":`...)
	b = strconv.AppendBool(b, ti.Schedule.AdjustForDST)
	b = append(b, `},"ScheduleStatus":`...)
	if ti.ScheduleStatus == nil {
		b = append(b, "null"...)
	} else {
		b = ti.ScheduleStatus.appendJSON(b)
	}
	b = append(b, `,"IsPastDue":`...)
	b = strconv.AppendBool(b, ti.IsPastDue)
	return append(b, '}'), nil
}

// MarshalJSON writes the object as the host does.
func (s ScheduleStatus) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

func (s ScheduleStatus) appendJSON(b []byte) []byte {
	// The zero time stands for .NET's default(DateTime).ToLocalTime(), which needs an offset:
	// that of the status's other times, all in the host's local zone.
	ref := s.Next
	for _, t := range []time.Time{s.Last, s.LastUpdated} {
		if ref.IsZero() {
			ref = t
		}
	}
	b = append(b, `{"Last":"`...)
	b = appendDateTime(b, s.Last, ref)
	b = append(b, `","Next":"`...)
	b = appendDateTime(b, s.Next, ref)
	b = append(b, `","LastUpdated":"`...)
	b = appendDateTime(b, s.LastUpdated, ref)
	return append(b, `"}`...)
}

// appendDateTime writes a local DateTime as Newtonsoft's IsoDateFormat does under
// RoundtripKind (DateTimeUtils.WriteDateTimeString): yyyy-MM-ddTHH:mm:ss, then the fraction
// of a second to 100 ns with trailing zeros dropped, then the zone's offset (+00:00, never Z).
// The zero time is default(DateTime).ToLocalTime(): midnight of 1 January of year 1 moved
// by a positive offset, or clamped there by a negative one.
func appendDateTime(b []byte, t, ref time.Time) []byte {
	if t.IsZero() {
		_, off := ref.Zone()
		if ref.IsZero() {
			off = 0
		}
		t = time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", off))
		if off > 0 {
			t = t.Add(time.Duration(off) * time.Second)
		}
	}
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if f := t.Nanosecond() / 100; f != 0 {
		b = append(b, '.')
		b = append(b, strings.TrimRight(strconv.Itoa(f + 1e7)[1:], "0")...)
	}
	return t.AppendFormat(b, "-07:00")
}

// Metadata returns the invocation Metadata the host sends with a timer trigger. The trigger's
// binding data holds TimerTrigger (the time as text) and the system binding data sys; the host
// drops keys ending in "trigger" from Metadata (ScriptInvocationContextExtensions.
// ToHttpScriptInvocationContext), which leaves
//
//	{"sys":{"MethodName":"<function>","UtcNow":"<UTC time>","RandGuid":"<new GUID>"}}
//
// utcNow is written as Newtonsoft writes a UTC DateTime (…Z, fraction to 100 ns).
func Metadata(function string, utcNow time.Time, randGUID string) []byte {
	b := []byte(`{"sys":{"MethodName":`)
	b = appendString(b, function)
	b = append(b, `,"UtcNow":"`...)
	u := utcNow.UTC()
	b = u.AppendFormat(b, "2006-01-02T15:04:05")
	if f := u.Nanosecond() / 100; f != 0 {
		b = append(b, '.')
		b = append(b, strings.TrimRight(strconv.Itoa(f + 1e7)[1:], "0")...)
	}
	b = append(b, `Z","RandGuid":`...)
	b = appendString(b, randGUID)
	return append(b, "}}"...)
}

// appendString writes s as a JSON string without HTML escaping, as Newtonsoft does for the
// characters function names and GUIDs hold.
func appendString(b []byte, s string) []byte {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return append(b, strings.TrimSuffix(sb.String(), "\n")...)
}
