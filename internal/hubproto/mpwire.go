package hubproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// This file holds the MessagePack primitives the envelope is written and
// read with: hand-written so encoding needs no reflection.

func appendMPArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xdc, byte(n>>8), byte(n))
	default:
		return append(dst, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendMPMapHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xde, byte(n>>8), byte(n))
	default:
		return append(dst, 0xdf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendMPString(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= math.MaxUint8:
		dst = append(dst, 0xd9, byte(n))
	case n <= math.MaxUint16:
		dst = append(dst, 0xda, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, s...)
}

// appendMPInt writes n in the smallest encoding, as MessagePack-CSharp and
// @msgpack/msgpack do.
func appendMPInt(dst []byte, n int64) []byte {
	switch {
	case n >= 0:
		return appendMPUint(dst, uint64(n))
	case n >= -32:
		return append(dst, byte(n))
	case n >= math.MinInt8:
		return append(dst, 0xd0, byte(n))
	case n >= math.MinInt16:
		return append(dst, 0xd1, byte(n>>8), byte(n))
	case n >= math.MinInt32:
		return append(dst, 0xd2, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(n))
	}
}

func appendMPUint(dst []byte, n uint64) []byte {
	switch {
	case n < 128:
		return append(dst, byte(n))
	case n <= math.MaxUint8:
		return append(dst, 0xcc, byte(n))
	case n <= math.MaxUint16:
		return append(dst, 0xcd, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return append(dst, 0xce, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xcf), n)
	}
}

func appendMPFloat64(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f))
}

func appendMPBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 0xc3)
	}
	return append(dst, 0xc2)
}

func appendMPHeaders(dst []byte, h map[string]string) []byte {
	dst = appendMPMapHeader(dst, len(h))
	if len(h) == 0 {
		return dst
	}
	for _, k := range sortedKeys(h) {
		dst = appendMPString(dst, k)
		dst = appendMPString(dst, h[k])
	}
	return dst
}

// sortedKeys gives headers a stable wire order.
func sortedKeys(h map[string]string) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// mpKind classifies a MessagePack object by its first byte.
type mpKind uint8

const (
	mpInvalid mpKind = iota
	mpNil
	mpBool
	mpInt
	mpUint
	mpFloat
	mpStr
	mpBin
	mpArray
	mpMap
	mpExt
)

var errMPShort = errors.New("truncated MessagePack data")

// mpReader reads MessagePack objects from b. Every method checks bounds and
// returns an error instead of panicking on hostile input.
type mpReader struct {
	b       []byte
	i       int
	maxArgs int // parseMPMessageLimited: the most arguments accepted; 0 means any number
}

func (r *mpReader) done() bool { return r.i >= len(r.b) }

func (r *mpReader) need(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.i < n {
		return nil, errMPShort
	}
	p := r.b[r.i : r.i+n]
	r.i += n
	return p, nil
}

func (r *mpReader) peek() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errMPShort
	}
	return r.b[r.i], nil
}

// head reads the header of the next object: its kind, and for str/bin/ext the
// payload length, for array/map the element count, for int/uint/float/bool
// the value bits. ext also returns the ext type in extType.
func (r *mpReader) head() (k mpKind, n uint64, extType int8, err error) {
	c, err := r.peek()
	if err != nil {
		return mpInvalid, 0, 0, err
	}
	r.i++
	be := func(size int) (uint64, error) {
		p, err := r.need(size)
		if err != nil {
			return 0, err
		}
		var v uint64
		for _, x := range p {
			v = v<<8 | uint64(x)
		}
		return v, nil
	}
	switch {
	case c <= 0x7f:
		return mpUint, uint64(c), 0, nil
	case c >= 0xe0:
		return mpInt, uint64(int64(int8(c))), 0, nil
	case c&0xf0 == 0x80:
		return mpMap, uint64(c & 0x0f), 0, nil
	case c&0xf0 == 0x90:
		return mpArray, uint64(c & 0x0f), 0, nil
	case c&0xe0 == 0xa0:
		return mpStr, uint64(c & 0x1f), 0, nil
	}
	switch c {
	case 0xc0:
		return mpNil, 0, 0, nil
	case 0xc2:
		return mpBool, 0, 0, nil
	case 0xc3:
		return mpBool, 1, 0, nil
	case 0xc4, 0xc5, 0xc6:
		n, err = be(1 << (c - 0xc4))
		return mpBin, n, 0, err
	case 0xc7, 0xc8, 0xc9:
		n, err = be(1 << (c - 0xc7))
		if err != nil {
			return mpInvalid, 0, 0, err
		}
		t, err := be(1)
		return mpExt, n, int8(t), err
	case 0xca:
		v, err := be(4)
		return mpFloat, math.Float64bits(float64(math.Float32frombits(uint32(v)))), 0, err
	case 0xcb:
		v, err := be(8)
		return mpFloat, v, 0, err
	case 0xcc, 0xcd, 0xce, 0xcf:
		n, err = be(1 << (c - 0xcc))
		return mpUint, n, 0, err
	case 0xd0:
		v, err := be(1)
		return mpInt, uint64(int64(int8(v))), 0, err
	case 0xd1:
		v, err := be(2)
		return mpInt, uint64(int64(int16(v))), 0, err
	case 0xd2:
		v, err := be(4)
		return mpInt, uint64(int64(int32(v))), 0, err
	case 0xd3:
		v, err := be(8)
		return mpInt, v, 0, err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		t, err := be(1)
		return mpExt, 1 << (c - 0xd4), int8(t), err
	case 0xd9, 0xda, 0xdb:
		n, err = be(1 << (c - 0xd9))
		return mpStr, n, 0, err
	case 0xdc, 0xdd:
		n, err = be(2 << (c - 0xdc))
		return mpArray, n, 0, err
	case 0xde, 0xdf:
		n, err = be(2 << (c - 0xde))
		return mpMap, n, 0, err
	}
	return mpInvalid, 0, 0, fmt.Errorf("invalid MessagePack type byte 0x%02x", c)
}

// skip advances past one whole object and returns its bytes. It is
// iterative, so deeply nested input cannot exhaust the stack.
func (r *mpReader) skip() ([]byte, error) {
	start := r.i
	for pending := uint64(1); pending > 0; pending-- {
		k, n, _, err := r.head()
		if err != nil {
			return nil, err
		}
		switch k {
		case mpStr, mpBin, mpExt:
			if _, err := r.need(int(min(n, math.MaxInt32))); err != nil {
				return nil, err
			}
		case mpArray, mpMap:
			if k == mpMap {
				n *= 2
			}
			// Each element needs at least one byte: a count beyond the
			// remaining input is truncated data, not a reason to loop.
			if n > uint64(len(r.b)-r.i) {
				return nil, errMPShort
			}
			pending += n
		}
	}
	return r.b[start:r.i], nil
}

func (r *mpReader) readInt() (int64, error) {
	k, n, _, err := r.head()
	if err != nil {
		return 0, err
	}
	switch k {
	case mpInt:
		return int64(n), nil
	case mpUint:
		if n > math.MaxInt64 {
			return 0, errors.New("MessagePack integer out of range")
		}
		return int64(n), nil
	}
	return 0, fmt.Errorf("want a MessagePack integer, got %s", k)
}

// readString reads a str, or nil as ("", false).
func (r *mpReader) readString() (string, bool, error) {
	k, n, _, err := r.head()
	if err != nil {
		return "", false, err
	}
	switch k {
	case mpNil:
		return "", false, nil
	case mpStr:
		p, err := r.need(int(min(n, math.MaxInt32)))
		if err != nil {
			return "", false, err
		}
		return string(p), true, nil
	}
	return "", false, fmt.Errorf("want a MessagePack string, got %s", k)
}

func (r *mpReader) readBool() (bool, error) {
	k, n, _, err := r.head()
	if err != nil {
		return false, err
	}
	switch k {
	case mpBool:
		return n == 1, nil
	case mpNil:
		return false, nil
	}
	return false, fmt.Errorf("want a MessagePack boolean, got %s", k)
}

// readLen reads an array or map header (nil counts as empty).
func (r *mpReader) readLen(want mpKind) (int, error) {
	k, n, _, err := r.head()
	if err != nil {
		return 0, err
	}
	if k == mpNil {
		return 0, nil
	}
	if k != want {
		return 0, fmt.Errorf("want a MessagePack %s, got %s", want, k)
	}
	if n > uint64(len(r.b)-r.i) {
		return 0, errMPShort
	}
	return int(n), nil
}

func (k mpKind) String() string {
	switch k {
	case mpNil:
		return "nil"
	case mpBool:
		return "boolean"
	case mpInt, mpUint:
		return "integer"
	case mpFloat:
		return "float"
	case mpStr:
		return "string"
	case mpBin:
		return "binary"
	case mpArray:
		return "array"
	case mpMap:
		return "map"
	case mpExt:
		return "extension"
	}
	return "invalid"
}
