package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "s3cr3tValue"

func lookupIn(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromBinding(t *testing.T) {
	settings := lookupIn(map[string]string{"EveryFive": "0 */5 * * * *", "Minute": "*/5", "Half": "00:30:00"})
	tests := []struct {
		name    string
		binding map[string]any
		str     string
		startup bool
		monitor bool
	}{
		{
			name:    "a literal schedule with the defaults",
			binding: map[string]any{"type": "timerTrigger", "direction": "in", "name": "myTimer", "schedule": "0 */5 * * * *"},
			str:     "Cron: '0 */5 * * * *'", monitor: true,
		},
		{
			name:    "a schedule from an app setting",
			binding: map[string]any{"type": "timerTrigger", "schedule": "%EveryFive%", "runOnStartup": true, "useMonitor": false},
			str:     "Cron: '0 */5 * * * *'", startup: true,
		},
		{
			name:    "part of a schedule from an app setting",
			binding: map[string]any{"schedule": "0 %Minute% * * * *"},
			str:     "Cron: '0 */5 * * * *'", monitor: true,
		},
		{
			// Binding properties match without regard to case (SDK AttributeConverter), and
			// Newtonsoft reads "true" strings as booleans.
			name:    "property names in any case, booleans as strings",
			binding: map[string]any{"TYPE": "TimerTrigger", "Schedule": "%Half%", "RUNONSTARTUP": "True", "usemonitor": " false "},
			str:     "Constant: 00:30:00", startup: true,
		},
		{
			name:    "null booleans keep the defaults",
			binding: map[string]any{"schedule": "0 0 * * * *", "runOnStartup": nil, "useMonitor": nil},
			str:     "Cron: '0 0 * * * *'", monitor: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := FromBinding("tick", tt.binding, settings)
			require.NoError(t, err)
			assert.Equal(t, "tick", fn.Name)
			assert.Equal(t, tt.str, fn.Schedule.String())
			assert.Equal(t, tt.startup, fn.RunOnStartup)
			assert.Equal(t, tt.monitor, fn.UseMonitor)
		})
	}
}

func TestFromBindingErrors(t *testing.T) {
	const forms = `; expected an NCRONTAB expression of six fields {second} {minute} {hour} {day} {month} {day-of-week} such as "0 */5 * * * *" (five fields, without seconds, also work), or a TimeSpan interval such as "00:30:00" (hh:mm:ss, hh:mm, d.hh:mm:ss or hh:mm:ss.fffffff)`
	settings := lookupIn(map[string]string{
		"AzureSignalRConnectionString": "Endpoint=https://x.service.signalr.net;AccessKey=" + secret + ";Version=1.0;",
		"Bad":                          "0 " + secret + " * * * *",
		"Word":                         "Funday",
	})
	tests := []struct {
		name    string
		binding map[string]any
		want    string
	}{
		{"no schedule", map[string]any{"type": "timerTrigger"}, `function "tick": the timerTrigger schedule "" is not valid: the binding has no schedule string` + forms},
		{"a blank schedule", map[string]any{"schedule": "  "}, `function "tick": the timerTrigger schedule "  " is not valid: the binding has no schedule string` + forms},
		{"a schedule that is not a string", map[string]any{"schedule": 5.0}, `function "tick": the timerTrigger schedule "" is not valid: the binding has no schedule string` + forms},
		{"a literal invalid schedule", map[string]any{"schedule": "0 61 * * * *"}, `function "tick": the timerTrigger schedule "0 61 * * * *" is not valid: end of range (61) above maximum (59): 61` + forms},
		// The host's message for a missing setting: "'%X%' does not resolve to a value."
		{"a missing app setting", map[string]any{"schedule": "%Nightly%"}, `function "tick": the timerTrigger schedule "%Nightly%" (from app setting "Nightly") is not valid: '%Nightly%' does not resolve to a value: no app setting "Nightly" is set` + forms},
		{"an unclosed %", map[string]any{"schedule": "0 %Minute * * * *"}, `function "tick": the timerTrigger schedule "0 %Minute * * * *" is not valid: the '%' at position 2 does not have a closing '%'` + forms},
		{"an empty %% name", map[string]any{"schedule": "%%"}, `function "tick": the timerTrigger schedule "%%" (from app setting "") is not valid: '%%' does not resolve to a value: no app setting "" is set` + forms},
		// A schedule taken from a setting is never repeated: it may hold a secret by mistake.
		{"a connection string as the schedule", map[string]any{"schedule": "%AzureSignalRConnectionString%"}, `function "tick": the timerTrigger schedule "%AzureSignalRConnectionString%" (from app setting "AzureSignalRConnectionString") is not valid: it is not a TimeSpan: the hours are not a number` + forms},
		{"a bad field from a setting", map[string]any{"schedule": "%Bad%"}, `function "tick": the timerTrigger schedule "%Bad%" (from app setting "Bad") is not valid: field 2 (minute): an element is not a number or a name` + forms},
		{"a word from a setting", map[string]any{"schedule": "0 0 0 * * %Word%"}, `function "tick": the timerTrigger schedule "0 0 0 * * %Word%" (from app setting "Word") is not valid: field 6 (day-of-week): a name is not a day-of-week name; expected one of Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday (or a prefix, such as Sun)` + forms},
		{"another binding type", map[string]any{"type": "queueTrigger", "schedule": "0 * * * * *"}, `function "tick": the binding is not a timerTrigger`},
		{"runOnStartup not a boolean", map[string]any{"schedule": "0 * * * * *", "runOnStartup": "yes"}, `function "tick": the runOnStartup property of the timerTrigger binding is not a boolean; expected true or false`},
		{"useMonitor not a boolean", map[string]any{"schedule": "0 * * * * *", "useMonitor": 1.0}, `function "tick": the useMonitor property of the timerTrigger binding is not a boolean; expected true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromBinding("tick", tt.binding, settings)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestExpand(t *testing.T) {
	lookup := lookupIn(map[string]string{"A": "x", "B": "%A%", "E": ""})
	tests := []struct {
		in, out string
		names   []string
		err     string
	}{
		{in: "plain", out: "plain"},
		{in: "", out: ""},
		{in: "%A%", out: "x", names: []string{"A"}},
		{in: "1%A%2%A%3", out: "1x2x3", names: []string{"A", "A"}},
		{in: "%B%", out: "%A%", names: []string{"B"}}, // not expanded again
		{in: "%E%", out: "", names: []string{"E"}},
		{in: "50%", err: "the '%' at position 2 does not have a closing '%'"},
		{in: "%A%%", names: []string{"A"}, err: "the '%' at position 3 does not have a closing '%'"},
		{in: "%Z%", names: []string{"Z"}, err: `'%Z%' does not resolve to a value: no app setting "Z" is set`},
	}
	for _, tt := range tests {
		out, names, err := Expand(tt.in, lookup)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err, tt.in)
		} else {
			require.NoError(t, err, tt.in)
			assert.Equal(t, tt.out, out, tt.in)
		}
		assert.Equal(t, tt.names, names, tt.in)
	}
	_, _, err := Expand("%A%", nil)
	assert.EqualError(t, err, `'%A%' does not resolve to a value: no app setting "A" is set`)
}

func TestFromBindingScheduleUsable(t *testing.T) {
	fn, err := FromBinding("tick", map[string]any{"schedule": "0 0 * * * *"}, nil)
	require.NoError(t, err)
	assert.Equal(t, utc("2024-03-01T13:00:00Z"), fn.Schedule.Next(utc("2024-03-01T12:59:59.5Z")))
	assert.Equal(t, time.Duration(0), fn.Schedule.Interval())
}
