package trigger

import (
	"errors"
	"fmt"
)

// Sentinel errors of Parse, for errors.Is. The returned errors wrap one of
// these and add what was wrong; they never contain keys or signatures.
var (
	// ErrNotSignalRRequest: a required X-ASRS-* header is missing or has a
	// value the service never sends.
	ErrNotSignalRRequest = errors.New("trigger: not a SignalR upstream request")
	// ErrInvalidSignature: no X-ASRS-Signature entry matches a configured
	// access key, or no key is configured.
	ErrInvalidSignature = errors.New("trigger: invalid signature")
	// ErrUnsupportedContentType: the body is neither application/json nor
	// application/x-msgpack.
	ErrUnsupportedContentType = errors.New("trigger: unsupported content type")
	// ErrTooLarge: the body is larger than the configured maximum.
	ErrTooLarge = errors.New("trigger: request body too large")
	// ErrMalformedBody: the body is not the message the headers announce.
	ErrMalformedBody = errors.New("trigger: malformed body")
)

func wrapf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
