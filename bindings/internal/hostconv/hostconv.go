// Package hostconv holds the Functions host's value conversions that both the bindings package
// and the fake host must agree on.
package hostconv

// IsBase64 reports whether the Functions host would decode s as base64 when it is the value of a
// non-HTTP output or $return (the base64 trap): it mirrors .NET's Convert.FromBase64String,
// which ignores whitespace and wants a length that is a multiple of four, the standard
// alphabet and at most two '=' at the end. "" qualifies.
func IsBase64(s string) bool {
	n, pad := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		case c == '=':
			pad++
		case pad > 0:
			return false
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		default:
			return false
		}
		n++
	}
	return n%4 == 0 && pad <= 2
}
