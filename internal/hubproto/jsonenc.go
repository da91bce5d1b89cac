package hubproto

import (
	"strconv"
)

func appendJSONInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
