package timer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func FuzzParseSchedule(f *testing.F) {
	for _, seed := range []string{
		"0 */5 * * * *", "*/15 * * * *", "0 0 0 13 * Fri", "0 0 12 * jan-Mar mon-fri", "5/15 1-10/3 * * * *",
		"0 0 0 29 2 1", "0 0 0 31 2 *", "00:30:00", "1.02:03:04.5", "2", "-1", "@daily", "0 0 * * * ?",
		"%X% * * * * *", "0 *-5 * * * *", "0 1,,2 * * * *", "24:00:00", "", " ",
	} {
		f.Add(seed)
	}
	ref := time.Date(2024, 3, 1, 12, 0, 30, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseSchedule(expr)
		if err != nil {
			require.Nil(t, s)
			require.Less(t, len(err.Error()), 2000+len(expr))
			return
		}
		require.NotEmpty(t, s.String())
		next := s.Next(ref)
		// A schedule that parses occurs: infeasible calendars are refused.
		require.False(t, next.IsZero(), "%q never occurs", expr)
		require.True(t, next.After(ref), "%q: %v is not after %v", expr, next, ref)
		if d := s.Interval(); d > 0 {
			require.False(t, s.AdjustForDST())
			again, err := parseTimeSpan(formatTimeSpan(d))
			require.NoError(t, err)
			require.Equal(t, d, again)
		} else {
			require.True(t, s.AdjustForDST())
			require.Zero(t, next.Nanosecond(), "cron occurrences fall on whole seconds")
		}
		_ = s.frequent(ref)
	})
}

func FuzzExpand(f *testing.F) {
	for _, seed := range []string{"%A%", "x%A%y%B%z", "%", "%%", "50%", "%A%%", "%Missing%"} {
		f.Add(seed)
	}
	lookup := lookupIn(map[string]string{"A": "%B%", "B": "b", "": "never"})
	f.Fuzz(func(t *testing.T, s string) {
		out, names, err := Expand(s, lookup)
		if err != nil {
			return
		}
		require.Equal(t, strings.Count(s, "%"), 2*len(names))
		if len(names) == 0 {
			require.Equal(t, s, out)
		}
	})
}
