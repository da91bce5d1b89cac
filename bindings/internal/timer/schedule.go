package timer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a parsed timer schedule: an NCRONTAB expression or a fixed TimeSpan interval. It
// is immutable and safe for concurrent use.
type Schedule struct {
	text     string
	spec     *cron.SpecSchedule // nil for an interval
	seconds  bool               // the expression has a seconds field
	interval time.Duration
}

// robfig/cron builds the bit sets and walks the calendar; six fields, seconds first, as
// DESIGN.md prescribes. Descriptors (@daily) and the TZ= prefix stay off: the host's NCrontab
// accepts neither.
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// The expected forms, for error messages.
const expectedForms = "expected an NCRONTAB expression of six fields {second} {minute} {hour} {day} {month} {day-of-week} such as \"0 */5 * * * *\" (five fields, without seconds, also work), or a TimeSpan interval such as \"00:30:00\" (hh:mm:ss, hh:mm, d.hh:mm:ss or hh:mm:ss.fffffff)"

var fieldNames = [6]string{"second", "minute", "hour", "day", "month", "day-of-week"}

// NCrontab resolves a name by the first full name it is a prefix of, ignoring case
// (atifaziz/NCrontab CrontabFieldImpl.ParseValue), so "Mon", "monday" and "M" all work and "M"
// is March for months.
var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// ParseSchedule parses a timer schedule as the Functions host does (TimerSchedule.Create in
// azure-webjobs-sdk-extensions): first as an NCRONTAB expression, with seconds when it has six
// space-separated fields and without when it has five (CronSchedule.HasSeconds); otherwise as
// a .NET TimeSpan, a fixed interval between runs. %AppSetting% expressions must already be
// expanded (see Expand).
//
// The cron dialect is NCrontab's: numbers, names of months and days (any prefix of the English
// name), '*', ranges a-b, steps */n, a/n and a-b/n, and lists; day-of-week 0-6 with Sunday 0.
// When both day fields are restricted a day must match both, as in NCrontab (Vixie cron
// matches either). Descriptors such as @daily and '?' are refused, as the host refuses them.
// A schedule that can never occur (31 February) is an error.
func ParseSchedule(expr string) (*Schedule, error) {
	s, err := parseSchedule(expr, true)
	if err != nil {
		return nil, &ScheduleError{Schedule: expr, Reason: err.Error()}
	}
	return s, nil
}

// parseSchedule parses expr; quote says whether error reasons may repeat parts of it (not when
// it came from an app setting, which may hold a secret by mistake).
func parseSchedule(expr string, quote bool) (*Schedule, error) {
	if len(expr) > 1024 {
		return nil, errors.New("it is longer than 1024 characters")
	}
	// NCrontab splits on spaces only (StringSeparatorStock.Space).
	fields := strings.FieldsFunc(expr, func(r rune) bool { return r == ' ' })
	if len(fields) == 5 || len(fields) == 6 {
		return parseCron(expr, fields, quote)
	}
	if strings.HasPrefix(strings.TrimSpace(expr), "@") {
		return nil, errors.New("descriptors such as @daily are not NCRONTAB; the Functions host rejects them")
	}
	d, err := parseTimeSpan(expr)
	if err != nil {
		if strings.ContainsAny(expr, ":.") || isDigits(strings.TrimSpace(expr)) {
			return nil, fmt.Errorf("it is not a TimeSpan: %w", err)
		}
		return nil, fmt.Errorf("it has %d space-separated fields, and a cron expression has 6 (or 5 without seconds)", len(fields))
	}
	if d <= 0 {
		return nil, errors.New("a TimeSpan interval must be longer than zero")
	}
	return &Schedule{text: expr, interval: d}, nil
}

func parseCron(expr string, fields []string, quote bool) (*Schedule, error) {
	seconds := len(fields) == 6
	offset := 0
	if !seconds {
		offset = 1
	}
	norm := make([]string, 6)
	norm[0] = "0"
	for i, f := range fields {
		n, err := normalizeField(f, i+offset, quote)
		if err != nil {
			return nil, fmt.Errorf("field %d (%s): %w", i+1, fieldNames[i+offset], err)
		}
		norm[i+offset] = n
	}
	parsed, err := cronParser.Parse(strings.Join(norm, " "))
	if err != nil {
		if quote {
			return nil, fmt.Errorf("%s", err)
		}
		return nil, errors.New("a value is outside its field's range or a range is reversed")
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, errors.New("not a field schedule")
	}
	s := &Schedule{text: expr, spec: spec, seconds: seconds}
	if !s.feasible() {
		return nil, errors.New("it never occurs: no month in it has the day of the month it names")
	}
	return s, nil
}

// normalizeField checks one field against NCrontab's grammar, which is narrower than robfig's
// in places (robfig takes "*-5" as "*" and skips empty list elements), and replaces names by
// numbers with NCrontab's prefix rule.
func normalizeField(f string, kind int, quote bool) (string, error) {
	show := func(s string) string {
		if quote {
			return strconv.Quote(s)
		}
		return "an element"
	}
	for _, c := range f {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*' || c == ',' || c == '-' || c == '/') {
			if c == '?' {
				return "", errors.New("'?' is not NCRONTAB; use '*'")
			}
			return "", errors.New("only digits, names, '*', ',', '-' and '/' are allowed")
		}
	}
	elems := strings.Split(f, ",")
	for i, e := range elems {
		if e == "" {
			return "", errors.New("a list has an empty element")
		}
		base, step, hasStep := strings.Cut(e, "/")
		if hasStep {
			if !isDigits(step) {
				return "", fmt.Errorf("%s has a step that is not a number", show(e))
			}
			if n, err := strconv.Atoi(step); err != nil || n == 0 {
				return "", fmt.Errorf("%s has a step that is not a positive number", show(e))
			}
		}
		if base == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(base, "-")
		if strings.Contains(hi, "-") {
			return "", fmt.Errorf("%s has more than one '-'", show(e))
		}
		parts := []*string{&lo}
		if isRange {
			parts = append(parts, &hi)
		}
		for _, p := range parts {
			switch {
			case *p == "":
				return "", fmt.Errorf("%s is not a value, a range a-b or a step */n", show(e))
			case *p == "*":
				return "", fmt.Errorf("%s puts '*' in a range; '*' stands alone or before a step, as in */5", show(e))
			case isDigits(*p):
			case isLetters(*p):
				n, err := resolveName(*p, kind, quote)
				if err != nil {
					return "", err
				}
				*p = strconv.Itoa(n)
			default:
				return "", fmt.Errorf("%s is not a number or a name", show(e))
			}
		}
		base = lo
		if isRange {
			base += "-" + hi
		}
		if hasStep {
			base += "/" + step
		}
		elems[i] = base
	}
	return strings.Join(elems, ","), nil
}

func resolveName(name string, kind int, quote bool) (int, error) {
	var names []string
	first := 0
	switch kind {
	case 4:
		names, first = monthNames, 1
	case 5:
		names = dayNames
	default:
		return 0, errors.New("names are allowed only in the month and day-of-week fields")
	}
	for i, full := range names {
		if len(name) <= len(full) && strings.EqualFold(full[:len(name)], name) {
			return first + i, nil
		}
	}
	what := "a name"
	if quote {
		what = strconv.Quote(name)
	}
	return 0, fmt.Errorf("%s is not a %s name; expected one of %s (or a prefix, such as %s)", what, fieldNames[kind], strings.Join(names, ", "), names[0][:3])
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

const starBit = 1 << 63

// feasible reports whether some month of the schedule has one of its days of the month: over a
// 400-year Gregorian cycle every valid date falls on every day of the week, so that is enough
// for the schedule to occur.
func (s *Schedule) feasible() bool {
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if s.spec.Month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= days[m]; d++ {
			if s.spec.Dom&(1<<d) != 0 {
				return s.spec.Dow&^starBit != 0
			}
		}
	}
	return false
}

// Next returns the first occurrence strictly after t, in t's location, or the zero time when
// there is none. An interval schedule's next occurrence is t plus the interval, as the host's
// ConstantSchedule computes it.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.spec == nil {
		return t.Add(s.interval)
	}
	// robfig matches a day when either day field matches if both are restricted; NCrontab
	// (CrontabSchedule.TryGetNextOccurrence) wants both. Candidates that fail are skipped a day
	// at a time. robfig gives up after five years; the loop then resumes five years on. The
	// 400-year horizon is a Gregorian cycle: feasible schedules occur within it.
	horizon := t.AddDate(400, 0, 0)
	cur := t
	for cur.Before(horizon) {
		n := s.spec.Next(cur)
		if n.IsZero() {
			cur = time.Date(cur.Year()+5, 1, 1, 0, 0, 0, 0, cur.Location())
			continue
		}
		if s.spec.Dom&(1<<n.Day()) != 0 && s.spec.Dow&(1<<n.Weekday()) != 0 {
			return n
		}
		cur = time.Date(n.Year(), n.Month(), n.Day(), 23, 59, 59, 0, n.Location())
	}
	return time.Time{}
}

// NextOccurrences returns the next n occurrences after t, as the host logs them at startup
// ("The next 5 occurrences of the … schedule … will be:").
func (s *Schedule) NextOccurrences(n int, t time.Time) []time.Time {
	var out []time.Time
	for i := 0; i < n; i++ {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// Interval returns the fixed interval of a TimeSpan schedule, or 0 for a cron expression.
func (s *Schedule) Interval() time.Duration { return s.interval }

// AdjustForDST is the value the host serializes in TimerInfo.Schedule: true for a cron
// expression (CronSchedule), false for an interval (ConstantSchedule).
func (s *Schedule) AdjustForDST() bool { return s.spec != nil }

// String describes the schedule as the host's TimerSchedule.ToString does: "Cron: '<expr>'" or
// "Constant: <TimeSpan>". (The host prints NCrontab's expanded form of a cron expression; the
// expression as written is clearer.)
func (s *Schedule) String() string {
	if s.spec == nil {
		return "Constant: " + formatTimeSpan(s.interval)
	}
	return "Cron: '" + strings.Join(strings.FieldsFunc(s.text, func(r rune) bool { return r == ' ' }), " ") + "'"
}

// frequent reports whether the host turns schedule monitoring off for this schedule, which
// makes TimerInfo.ScheduleStatus null: an interval under a minute, or a cron expression that
// restricts only its seconds and occurs more than once in the minute after now
// (TimerSchedule.ShouldDisableScheduleMonitor). For a five-field expression the host's check
// skips the minute field instead of the absent seconds field, and a schedule without seconds
// never occurs twice a minute, so it is never frequent.
func (s *Schedule) frequent(now time.Time) bool {
	if s.spec == nil {
		return s.interval < time.Minute
	}
	if !s.seconds {
		return false
	}
	full := func(bits uint64, lo, hi int) bool {
		for i := lo; i <= hi; i++ {
			if bits&(1<<i) == 0 {
				return false
			}
		}
		return true
	}
	if !full(s.spec.Minute, 0, 59) || !full(s.spec.Hour, 0, 23) || !full(s.spec.Dom, 1, 31) || !full(s.spec.Month, 1, 12) || !full(s.spec.Dow, 0, 6) {
		return false
	}
	first := s.Next(now)
	second := s.Next(first)
	return !first.IsZero() && !second.IsZero() && second.Before(now.Add(time.Minute))
}

// ScheduleError reports a schedule the host would refuse. It names the function and says what
// was expected; when the schedule came from an app setting, it shows the setting's name, not
// its value.
type ScheduleError struct {
	// Function is the function's name; empty from ParseSchedule.
	Function string
	// Schedule is the schedule as written in function.json, %AppSetting% references unexpanded.
	Schedule string
	// Settings lists the app settings the schedule refers to.
	Settings []string
	// Reason says what is wrong.
	Reason string
}

func (e *ScheduleError) Error() string {
	var b strings.Builder
	if e.Function != "" {
		fmt.Fprintf(&b, "function %q: ", e.Function)
	}
	fmt.Fprintf(&b, "the timerTrigger schedule %q", e.Schedule)
	if len(e.Settings) > 0 {
		q := make([]string, len(e.Settings))
		for i, name := range e.Settings {
			q[i] = strconv.Quote(name)
		}
		fmt.Fprintf(&b, " (from app setting %s)", strings.Join(q, ", "))
	}
	fmt.Fprintf(&b, " is not valid: %s; %s", e.Reason, expectedForms)
	return b.String()
}
