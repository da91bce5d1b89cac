package timer

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// maxDays keeps a TimeSpan within time.Duration (about 292 years).
const maxDays = 106000

// parseTimeSpan parses the .NET TimeSpan forms the host's TimeSpan.TryParse accepts, with the
// invariant culture: [ws][-]{ d | [d.]hh:mm[:ss[.fffffff]] | d:hh:mm:ss[.fffffff] }[ws], hours
// 0-23, minutes and seconds 0-59, up to seven fraction digits. A bare number is days.
func parseTimeSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if s == "" {
		return 0, errors.New("it is empty")
	}
	var days, hours, minutes, seconds, frac string
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		days = parts[0]
	case 2, 3:
		hours = parts[0]
		if d, h, ok := strings.Cut(hours, "."); ok {
			days, hours = d, h
		}
		minutes = parts[1]
		if len(parts) == 3 {
			seconds = parts[2]
		}
	case 4:
		days, hours, minutes, seconds = parts[0], parts[1], parts[2], parts[3]
	default:
		return 0, errors.New("it has too many ':'")
	}
	if sec, f, ok := strings.Cut(seconds, "."); ok {
		seconds, frac = sec, f
		if !isDigits(frac) || len(frac) > 7 {
			return 0, errors.New("the fraction of a second has 1 to 7 digits")
		}
	}
	num := func(text, what string, max int) (int, error) {
		if text == "" {
			return 0, nil
		}
		if !isDigits(text) || len(text) > 9 {
			return 0, errors.New("the " + what + " are not a number")
		}
		n, _ := strconv.Atoi(text)
		if n > max {
			return 0, errors.New("the " + what + " are out of range 0-" + strconv.Itoa(max))
		}
		return n, nil
	}
	if len(parts) > 1 && (hours == "" || minutes == "" || (len(parts) > 2 && seconds == "")) {
		return 0, errors.New("a part is missing")
	}
	d, err := num(days, "days", maxDays)
	if err != nil {
		return 0, err
	}
	h, err := num(hours, "hours", 23)
	if err != nil {
		return 0, err
	}
	m, err := num(minutes, "minutes", 59)
	if err != nil {
		return 0, err
	}
	sec, err := num(seconds, "seconds", 59)
	if err != nil {
		return 0, err
	}
	total := time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	if frac != "" {
		f, _ := strconv.Atoi((frac + "0000000")[:7])
		total += time.Duration(f) * 100 * time.Nanosecond
	}
	if neg {
		total = -total
	}
	return total, nil
}

// formatTimeSpan writes d as .NET's TimeSpan.ToString() does: [-][d.]hh:mm:ss[.fffffff].
func formatTimeSpan(d time.Duration) string {
	var b []byte
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	ticks := int64(d / 100)
	days := ticks / (24 * 3600 * 1e7)
	ticks -= days * 24 * 3600 * 1e7
	if days > 0 {
		b = strconv.AppendInt(b, days, 10)
		b = append(b, '.')
	}
	two := func(n int64) { b = append(b, byte('0'+n/10), byte('0'+n%10)) }
	two(ticks / (3600 * 1e7))
	b = append(b, ':')
	two(ticks / (60 * 1e7) % 60)
	b = append(b, ':')
	two(ticks / 1e7 % 60)
	if f := ticks % 1e7; f != 0 {
		b = append(b, '.')
		b = append(b, strconv.FormatInt(f+1e7, 10)[1:]...)
	}
	return string(b)
}
