package main

import (
	"io"
	"strings"
	"testing"
)

// Whatever the command line, parseFlags returns a config or an error; it never panics, and a
// config it accepts has a usable port and IP.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"", "-port 0", "-port 70000", "-ip 0.0.0.0", "-ip ::1 -port 8888", "-config settings.json", "-upstream http://x", "start", "-h", "-port=-1", "-ip="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parseFlags(strings.Fields(line), io.Discard)
		if err != nil {
			return
		}
		if c.port < 0 || c.port > 65535 || c.ip == "" {
			t.Fatalf("accepted %q as %+v", line, c)
		}
	})
}
