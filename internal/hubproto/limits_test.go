package hubproto

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func jsonInvocation(args int) []byte {
	return []byte(`{"type":1,"target":"m","arguments":[` + strings.TrimSuffix(strings.Repeat("null,", args), ",") + `]}` + "\x1e")
}

func mpInvocation(args int) []byte {
	b := []byte{0x95, 0x01, 0x80, 0xc0, 0xa1, 'm', 0xdd, byte(args >> 24), byte(args >> 16), byte(args >> 8), byte(args)}
	return append(b, bytes.Repeat([]byte{0xc0}, args)...)
}

func TestUnmarshalLimited(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Protocol
		build func(int) []byte
	}{
		{"JSON", JSON, jsonInvocation},
		{"MessagePack", MessagePack, mpInvocation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := UnmarshalLimited(tc.p, tc.build(8), 8)
			require.NoError(t, err)
			assert.Len(t, m.Arguments, 8)

			_, err = UnmarshalLimited(tc.p, tc.build(9), 8)
			require.ErrorIs(t, err, ErrTooManyArguments)
			assert.Contains(t, err.Error(), "expected at most 8")

			m, err = UnmarshalLimited(tc.p, tc.build(5000), 0)
			require.NoError(t, err, "no limit")
			assert.Len(t, m.Arguments, 5000)

			plain, err := tc.p.Unmarshal(tc.build(3))
			require.NoError(t, err)
			limited, err := UnmarshalLimited(tc.p, tc.build(3), 100)
			require.NoError(t, err)
			assert.Equal(t, plain, limited, "within the limit it is Unmarshal")
		})
	}
	// A framed MessagePack record is accepted as Unmarshal accepts it.
	body := mpInvocation(2)
	framed := append([]byte{byte(len(body))}, body...)
	m, err := UnmarshalLimited(MessagePack, framed, 2)
	require.NoError(t, err)
	assert.Len(t, m.Arguments, 2)
}
