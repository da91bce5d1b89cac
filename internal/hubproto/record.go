package hubproto

import "bytes"

// RecordEnd finds where the first record of buf ends, for a reader whose input
// arrives in pieces and who asks again after each one. Calling ParseFrame on
// the growing buffer instead would search a JSON record for its 0x1E from the
// start on every piece: quadratic in the record's size.
//
// p is the protocol, or nil for the handshake, which is JSON-framed in both
// protocols. For JSON-framed records only buf[scanned:] is searched: scanned
// is what the previous call returned for the same unfinished record (0 when
// a new record starts at buf[0]), so each byte is examined once however small
// the pieces. For MessagePack the length prefix says where the record ends.
//
// When the record is whole, n is its size including the separator or length
// prefix and buf[:n] can go to ParseFrame or ParseHandshakeRequest. Otherwise
// n is 0 and err is ErrIncomplete (with next to pass as scanned on the next
// call), ErrTooLarge once the record is known to be longer than limit bytes
// (MaxMessageSize when limit is not positive), or an error for a malformed
// MessagePack length prefix.
func RecordEnd(p Protocol, buf []byte, scanned, limit int) (n, next int, err error) {
	if limit <= 0 || limit > MaxMessageSize {
		limit = MaxMessageSize
	}
	if p != nil && p.Binary() {
		size, prefix, err := readVarint(buf)
		if err != nil {
			return 0, 0, err
		}
		if size > limit {
			return 0, 0, ErrTooLarge
		}
		if len(buf)-prefix < size {
			return 0, 0, ErrIncomplete
		}
		return prefix + size, 0, nil
	}
	scanned = min(max(scanned, 0), len(buf))
	i := bytes.IndexByte(buf[scanned:], RecordSeparator)
	if i < 0 {
		if len(buf) > limit {
			return 0, len(buf), ErrTooLarge
		}
		return 0, len(buf), ErrIncomplete
	}
	if n = scanned + i + 1; n > limit+1 { // the separator does not count against the limit
		return 0, n, ErrTooLarge
	}
	return n, 0, nil
}
