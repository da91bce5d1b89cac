package timer

import (
	"errors"
	"fmt"
	"strings"
)

// TriggerType is the function.json binding type of a timer trigger.
const TriggerType = "timerTrigger"

// Function is a timer-triggered function.
type Function struct {
	// Name is the function's name.
	Name string
	// Schedule is the parsed schedule.
	Schedule *Schedule
	// RunOnStartup runs the function once as soon as the scheduler starts, then on schedule.
	RunOnStartup bool
	// UseMonitor is the binding's useMonitor (true unless the binding says false). The local
	// scheduler keeps no state between runs of the process, so it only decides, as in the host,
	// whether TimerInfo.ScheduleStatus is sent or null.
	UseMonitor bool
}

// FromBinding reads a timerTrigger binding of function.json, given as its decoded JSON object.
// Property names match without regard to case, as the host binds them (AttributeConverter).
// %AppSetting% references in the schedule are expanded through lookup (see Expand), which
// should resolve names as .NET configuration does (localsettings.Lookup). useMonitor is
// accepted and kept only for the shape of TimerInfo: there is no storage to monitor.
func FromBinding(function string, binding map[string]any, lookup func(name string) (string, bool)) (Function, error) {
	fn := Function{Name: function, UseMonitor: true}
	if t, ok := prop(binding, "type"); ok {
		if s, _ := t.(string); !strings.EqualFold(s, TriggerType) {
			return fn, fmt.Errorf("function %q: the binding is not a %s", function, TriggerType)
		}
	}
	raw, ok := prop(binding, "schedule")
	text, isString := raw.(string)
	if !ok || !isString || strings.TrimSpace(text) == "" {
		return fn, &ScheduleError{Function: function, Schedule: text, Reason: "the binding has no schedule string"}
	}
	expanded, settings, err := Expand(text, lookup)
	if err != nil {
		return fn, &ScheduleError{Function: function, Schedule: text, Settings: settings, Reason: err.Error()}
	}
	sched, err := parseSchedule(expanded, len(settings) == 0)
	if err != nil {
		return fn, &ScheduleError{Function: function, Schedule: text, Settings: settings, Reason: err.Error()}
	}
	fn.Schedule = sched
	for _, p := range []struct {
		name string
		dst  *bool
	}{{"runOnStartup", &fn.RunOnStartup}, {"useMonitor", &fn.UseMonitor}} {
		v, ok := prop(binding, p.name)
		if !ok || v == nil {
			continue
		}
		b, err := boolValue(v)
		if err != nil {
			return fn, fmt.Errorf("function %q: the %s property of the %s binding %w", function, p.name, TriggerType, err)
		}
		*p.dst = b
	}
	return fn, nil
}

// prop finds a property ignoring case; with several spellings the exact one wins.
func prop(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func boolValue(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, errors.New("is not a boolean; expected true or false")
}

// Expand replaces each %name% in s by the app setting name, as the host's
// INameResolver.ResolveWholeString does (azure-webjobs-sdk NameResolverExtensions.cs): every
// pair of '%' encloses a name, the value is not expanded again, a '%' without its pair is an
// error, and so is a name that lookup does not know. It returns the names it resolved. Errors
// name settings, never their values.
func Expand(s string, lookup func(name string) (string, bool)) (string, []string, error) {
	var b strings.Builder
	var names []string
	i := 0
	for i < len(s) {
		start := strings.IndexByte(s[i:], '%')
		if start < 0 {
			b.WriteString(s[i:])
			break
		}
		start += i
		end := strings.IndexByte(s[start+1:], '%')
		if end < 0 {
			return "", names, fmt.Errorf("the '%%' at position %d does not have a closing '%%'", start)
		}
		end += start + 1
		name := s[start+1 : end]
		var v string
		ok := false
		if lookup != nil && name != "" {
			v, ok = lookup(name)
		}
		names = append(names, name)
		if !ok {
			return "", names, fmt.Errorf("'%%%s%%' does not resolve to a value: no app setting %q is set", name, name)
		}
		b.WriteString(s[i:start])
		b.WriteString(v)
		i = end + 1
	}
	return b.String(), names, nil
}
