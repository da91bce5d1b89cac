package timer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimerInfoJSON(t *testing.T) {
	plus9 := time.FixedZone("JST", 9*3600)
	minus7 := time.FixedZone("PDT", -7*3600)
	tests := []struct {
		name string
		info TimerInfo
		want string
	}{
		{
			// The body a 0 * * * * * timer receives in UTC, as captured from a host (see
			// TimerInfo's doc): fractions to 100 ns with trailing zeros dropped, +00:00.
			name: "a monitored run in UTC",
			info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}, ScheduleStatus: &ScheduleStatus{
				Last:        utc("2026-09-24T13:08:00.0096035Z"),
				Next:        utc("2026-09-24T13:09:00Z"),
				LastUpdated: utc("2026-09-24T13:08:00.0096035Z"),
			}},
			want: `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-09-24T13:08:00.0096035+00:00","Next":"2026-09-24T13:09:00+00:00","LastUpdated":"2026-09-24T13:08:00.0096035+00:00"},"IsPastDue":false}`,
		},
		{
			// The first run: Last and LastUpdated are default(DateTime).ToLocalTime().
			name: "the first run",
			info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}, ScheduleStatus: &ScheduleStatus{Next: utc("2024-03-01T12:05:00Z")}},
			want: `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00","Next":"2024-03-01T12:05:00+00:00","LastUpdated":"0001-01-01T00:00:00+00:00"},"IsPastDue":false}`,
		},
		{
			name: "the first run east of UTC",
			info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}, ScheduleStatus: &ScheduleStatus{Next: utc("2024-03-01T12:05:00Z").In(plus9)}},
			want: `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T09:00:00+09:00","Next":"2024-03-01T21:05:00+09:00","LastUpdated":"0001-01-01T09:00:00+09:00"},"IsPastDue":false}`,
		},
		{
			name: "the first run west of UTC",
			info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: true}, ScheduleStatus: &ScheduleStatus{Next: utc("2024-03-01T12:05:00.5Z").In(minus7)}},
			want: `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00-07:00","Next":"2024-03-01T05:05:00.5-07:00","LastUpdated":"0001-01-01T00:00:00-07:00"},"IsPastDue":false}`,
		},
		{
			name: "an unmonitored interval schedule",
			info: TimerInfo{Schedule: ScheduleInfo{AdjustForDST: false}},
			want: `{"Schedule":{"AdjustForDST":false},"ScheduleStatus":null,"IsPastDue":false}`,
		},
		{
			name: "past due, all times zero",
			info: TimerInfo{ScheduleStatus: &ScheduleStatus{}, IsPastDue: true},
			want: `{"Schedule":{"AdjustForDST":false},"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00","Next":"0001-01-01T00:00:00+00:00","LastUpdated":"0001-01-01T00:00:00+00:00"},"IsPastDue":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.info)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(b))
			// A handler can read it with encoding/json and time.Time.
			var back struct {
				Schedule       struct{ AdjustForDST bool }
				ScheduleStatus *struct{ Last, Next, LastUpdated time.Time }
				IsPastDue      bool
			}
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tt.info.IsPastDue, back.IsPastDue)
			if tt.info.ScheduleStatus != nil && !tt.info.ScheduleStatus.Next.IsZero() {
				assert.True(t, tt.info.ScheduleStatus.Next.Equal(back.ScheduleStatus.Next))
			}
		})
	}
	b, err := json.Marshal(ScheduleStatus{Next: utc("2024-03-01T12:05:00Z")})
	require.NoError(t, err)
	assert.Equal(t, `{"Last":"0001-01-01T00:00:00+00:00","Next":"2024-03-01T12:05:00+00:00","LastUpdated":"0001-01-01T00:00:00+00:00"}`, string(b))
}

func TestMetadata(t *testing.T) {
	got := Metadata("nightly", utc("2024-03-01T12:05:00.1234567Z").In(time.FixedZone("X", 3600)), "0f8fad5b-d9cb-469f-a165-70867728950e")
	assert.Equal(t, `{"sys":{"MethodName":"nightly","UtcNow":"2024-03-01T12:05:00.1234567Z","RandGuid":"0f8fad5b-d9cb-469f-a165-70867728950e"}}`, string(got))
	got = Metadata("a<b", utc("2024-03-01T12:05:00Z"), "g")
	assert.Equal(t, `{"sys":{"MethodName":"a<b","UtcNow":"2024-03-01T12:05:00Z","RandGuid":"g"}}`, string(got))
	assert.True(t, json.Valid(got))
}
