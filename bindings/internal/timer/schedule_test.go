package timer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		expr   string
		from   string
		next   []string // the next occurrences after from, in UTC
		str    string
		dst    bool
		period time.Duration
	}{
		{expr: "0 */5 * * * *", from: "2024-03-01T12:03:10Z", next: []string{"2024-03-01T12:05:00Z", "2024-03-01T12:10:00Z"}, str: "Cron: '0 */5 * * * *'", dst: true},
		{expr: "*/10 * * * * *", from: "2024-03-01T12:03:10Z", next: []string{"2024-03-01T12:03:20Z", "2024-03-01T12:03:30Z"}, str: "Cron: '*/10 * * * * *'", dst: true},
		{expr: "  0  30 9 * * 1-5 ", from: "2024-03-01T10:00:00Z", next: []string{"2024-03-04T09:30:00Z", "2024-03-05T09:30:00Z"}, str: "Cron: '0 30 9 * * 1-5'", dst: true},
		// Five fields: no seconds (CronSchedule.HasSeconds).
		{expr: "*/15 * * * *", from: "2024-03-01T12:03:10Z", next: []string{"2024-03-01T12:15:00Z", "2024-03-01T12:30:00Z"}, str: "Cron: '*/15 * * * *'", dst: true},
		// NCrontab wants both day fields when both are restricted: Friday the 13th only
		// (CrontabSchedule.TryGetNextOccurrence checks the day of the week after the day).
		{expr: "0 0 0 13 * 5", from: "2024-01-01T00:00:00Z", next: []string{"2024-09-13T00:00:00Z", "2024-12-13T00:00:00Z"}, str: "Cron: '0 0 0 13 * 5'", dst: true},
		{expr: "0 0 0 */2 * 1", from: "2024-01-01T00:00:00Z", next: []string{"2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z"}[1:], str: "Cron: '0 0 0 */2 * 1'", dst: true},
		// Names are prefixes of English names, any case (CrontabFieldImpl.ParseValue).
		{expr: "0 0 12 * jan,JULY Mon", from: "2024-01-01T13:00:00Z", next: []string{"2024-01-08T12:00:00Z", "2024-01-15T12:00:00Z"}, str: "Cron: '0 0 12 * jan,JULY Mon'", dst: true},
		{expr: "0 0 0 1 M *", from: "2024-01-01T00:00:00Z", next: []string{"2024-03-01T00:00:00Z", "2025-03-01T00:00:00Z"}, str: "Cron: '0 0 0 1 M *'", dst: true},
		{expr: "0 0 0 * * sat,Sun", from: "2024-03-01T00:00:00Z", next: []string{"2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z"}, str: "Cron: '0 0 0 * * sat,Sun'", dst: true},
		{expr: "0 0 0 29 2 *", from: "2025-01-01T00:00:00Z", next: []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}, str: "Cron: '0 0 0 29 2 *'", dst: true},
		// 2100 is no leap year: seven years to the next leap day, beyond robfig's five-year
		// search, which Next resumes.
		{expr: "0 0 0 29 2 *", from: "2097-03-01T00:00:00Z", next: []string{"2104-02-29T00:00:00Z"}, str: "Cron: '0 0 0 29 2 *'", dst: true},
		// A leap day that is a Monday: years apart, beyond robfig's five-year search.
		{expr: "0 0 0 29 2 1", from: "2024-03-01T00:00:00Z", next: []string{"2044-02-29T00:00:00Z"}, str: "Cron: '0 0 0 29 2 1'", dst: true},
		{expr: "5/15 * * * * *", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-01T12:00:05Z", "2024-03-01T12:00:20Z", "2024-03-01T12:00:35Z", "2024-03-01T12:00:50Z", "2024-03-01T12:01:05Z"}, str: "Cron: '5/15 * * * * *'", dst: true},
		{expr: "0 0 8-18/5 * * *", from: "2024-03-01T00:00:00Z", next: []string{"2024-03-01T08:00:00Z", "2024-03-01T13:00:00Z", "2024-03-01T18:00:00Z", "2024-03-02T08:00:00Z"}, str: "Cron: '0 0 8-18/5 * * *'", dst: true},
		// TimeSpan forms (TimeSpan.TryParse): a fixed interval from the previous run.
		{expr: "00:30:00", from: "2024-03-01T12:03:10Z", next: []string{"2024-03-01T12:33:10Z", "2024-03-01T13:03:10Z"}, str: "Constant: 00:30:00", period: 30 * time.Minute},
		{expr: "01:00", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-01T13:00:00Z"}, str: "Constant: 01:00:00", period: time.Hour},
		{expr: "1.00:00:00", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-02T12:00:00Z"}, str: "Constant: 1.00:00:00", period: 24 * time.Hour},
		{expr: "2", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-03T12:00:00Z"}, str: "Constant: 2.00:00:00", period: 48 * time.Hour},
		{expr: " 00:00:00.5 ", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-01T12:00:00.5Z"}, str: "Constant: 00:00:00.5000000", period: 500 * time.Millisecond},
		{expr: "1:02:03:04.1234567", from: "2024-03-01T12:00:00Z", next: []string{"2024-03-02T14:03:04.1234567Z"}, str: "Constant: 1.02:03:04.1234567", period: 26*time.Hour + 3*time.Minute + 4*time.Second + 123456700},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr)
			require.NoError(t, err)
			var want []time.Time
			for _, n := range tt.next {
				want = append(want, utc(n))
			}
			got := s.NextOccurrences(len(want), utc(tt.from))
			assert.Equal(t, want, got)
			assert.Equal(t, tt.str, s.String())
			assert.Equal(t, tt.dst, s.AdjustForDST())
			assert.Equal(t, tt.period, s.Interval())
		})
	}
}

func TestScheduleLocation(t *testing.T) {
	s, err := ParseSchedule("0 0 9 * * *")
	require.NoError(t, err)
	plus2 := time.FixedZone("X", 2*3600)
	next := s.Next(utc("2024-03-01T08:00:00Z").In(plus2))
	assert.Equal(t, utc("2024-03-02T07:00:00Z"), next.UTC(), "09:00 in the zone of the time given")
}

func TestParseScheduleErrors(t *testing.T) {
	const forms = `; expected an NCRONTAB expression of six fields {second} {minute} {hour} {day} {month} {day-of-week} such as "0 */5 * * * *" (five fields, without seconds, also work), or a TimeSpan interval such as "00:30:00" (hh:mm:ss, hh:mm, d.hh:mm:ss or hh:mm:ss.fffffff)`
	tests := []struct {
		expr, reason string
	}{
		{"", "it has 0 space-separated fields, and a cron expression has 6 (or 5 without seconds)"},
		{"every night", "it has 2 space-separated fields, and a cron expression has 6 (or 5 without seconds)"},
		{"* * * * * * *", "it has 7 space-separated fields, and a cron expression has 6 (or 5 without seconds)"},
		{"@daily", "descriptors such as @daily are not NCRONTAB; the Functions host rejects them"},
		{"0 0 * * * ?", "field 6 (day-of-week): '?' is not NCRONTAB; use '*'"},
		{"0\t*/5 * * * *", "field 1 (minute): only digits, names, '*', ',', '-' and '/' are allowed"},
		{"TZ=UTC 0 * * * *", "field 1 (second): only digits, names, '*', ',', '-' and '/' are allowed"},
		{"0 60 * * * *", "end of range (60) above maximum (59): 60"},
		{"0 0 0 0 * *", "beginning of range (0) below minimum (1): 0"},
		{"0 5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
		{"0 */0 * * * *", `field 2 (minute): "*/0" has a step that is not a positive number`},
		{"0 1/x * * * *", `field 2 (minute): "1/x" has a step that is not a number`},
		{"0 *-5 * * * *", `field 2 (minute): "*-5" puts '*' in a range; '*' stands alone or before a step, as in */5`},
		{"0 1,,2 * * * *", "field 2 (minute): a list has an empty element"},
		{"0 1, * * * *", "field 2 (minute): a list has an empty element"},
		{"0 1-2-3 * * * *", `field 2 (minute): "1-2-3" has more than one '-'`},
		{"0 -5 * * * *", `field 2 (minute): "-5" is not a value, a range a-b or a step */n`},
		{"0 5a * * * *", `field 2 (minute): "5a" is not a number or a name`},
		{"0 0 Mon * * *", "field 3 (hour): names are allowed only in the month and day-of-week fields"},
		{"0 0 0 * * Funday", `field 6 (day-of-week): "Funday" is not a day-of-week name; expected one of Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday (or a prefix, such as Sun)`},
		{"0 0 0 * Smarch *", `field 5 (month): "Smarch" is not a month name; expected one of January, February, March, April, May, June, July, August, September, October, November, December (or a prefix, such as Jan)`},
		{"0 0 0 * * 7", "end of range (7) above maximum (6): 7"},
		{"0 0 0 * * sat-Sun", "beginning of range (6) beyond end of range (0): 6-0"},
		{"0 0 0 31 2 *", "it never occurs: no month in it has the day of the month it names"},
		{"0 0 0 30,31 2 1", "it never occurs: no month in it has the day of the month it names"},
		{"24:00:00", "it is not a TimeSpan: the hours are out of range 0-23"},
		{"00:60", "it is not a TimeSpan: the minutes are out of range 0-59"},
		{"00:00:61", "it is not a TimeSpan: the seconds are out of range 0-59"},
		{"00:00:01.12345678", "it is not a TimeSpan: the fraction of a second has 1 to 7 digits"},
		{"1:2:3:4:5", "it is not a TimeSpan: it has too many ':'"},
		{"00::00", "it is not a TimeSpan: a part is missing"},
		{"1x:00", "it is not a TimeSpan: the hours are not a number"},
		{"999999", "it is not a TimeSpan: the days are out of range 0-106000"},
		{"00:00:00", "a TimeSpan interval must be longer than zero"},
		{"-00:01:00", "a TimeSpan interval must be longer than zero"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr)
			require.Error(t, err)
			assert.Nil(t, s)
			var se *ScheduleError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.reason, se.Reason)
			assert.Equal(t, "the timerTrigger schedule "+quote(tt.expr)+" is not valid: "+tt.reason+forms, err.Error())
		})
	}
}

func quote(s string) string { return `"` + escape(s) + `"` }

func escape(s string) string {
	out := ""
	for _, r := range s {
		switch r {
		case '\t':
			out += `\t`
		case '"':
			out += `\"`
		default:
			out += string(r)
		}
	}
	return out
}

func TestParseScheduleTooLong(t *testing.T) {
	long := make([]byte, 1025)
	for i := range long {
		long[i] = '1'
	}
	_, err := ParseSchedule(string(long))
	var se *ScheduleError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "it is longer than 1024 characters", se.Reason)
}

func TestFrequent(t *testing.T) {
	now := utc("2024-03-01T12:00:10Z")
	tests := []struct {
		expr     string
		frequent bool
	}{
		// TimerSchedule.ShouldDisableScheduleMonitor: only the seconds restricted and more
		// than one occurrence in the next minute.
		{"*/10 * * * * *", true},
		{"0,30 * * * * *", true},
		{"0 * * * * *", false},
		{"*/10 */2 * * * *", false},
		{"* * * * *", false}, // five fields: at most once a minute
		{"00:00:59", true},   // ConstantSchedule under a minute
		{"00:01:00", false},
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.expr)
		require.NoError(t, err)
		assert.Equal(t, tt.frequent, s.frequent(now), tt.expr)
	}
	// The host counts occurrences in (now, now+1 minute), end excluded, so a schedule at :00
	// and :30 started at :30 sees one and stays monitored.
	s, err := ParseSchedule("0,30 * * * * *")
	require.NoError(t, err)
	assert.False(t, s.frequent(utc("2024-03-01T12:00:30Z")))
}

func TestTimeSpanRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 90 * time.Minute, 36 * time.Hour, 100 * time.Nanosecond * 12345, 3*24*time.Hour + 5*time.Second + 700*time.Millisecond} {
		got, err := parseTimeSpan(formatTimeSpan(d))
		require.NoError(t, err, formatTimeSpan(d))
		assert.Equal(t, d, got)
	}
	assert.Equal(t, "-00:01:00", formatTimeSpan(-time.Minute))
}
