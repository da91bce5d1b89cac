package jsonwire

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEachMember(t *testing.T) {
	stop := errors.New("stop")
	cases := []struct {
		name    string
		obj     string
		stopAt  string
		want    []string
		wantErr error
	}{
		{name: "in document order", obj: `{"b":1,"a":[2],"c":{"d":null}}`, want: []string{`b=1`, `a=[2]`, `c={"d":null}`}},
		{name: "repeated names twice", obj: `{"x":1,"x":2}`, want: []string{`x=1`, `x=2`}},
		{name: "empty object", obj: `{}`},
		{name: "fn's error stops", obj: `{"a":1,"b":2,"c":3}`, stopAt: "b", want: []string{`a=1`, `b=2`}, wantErr: stop},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := EachMember([]byte(tc.obj), func(k string, v json.RawMessage) error {
				got = append(got, k+"="+string(v))
				if k == tc.stopAt {
					return stop
				}
				return nil
			})
			assert.Equal(t, tc.want, got)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
		})
	}
	for _, bad := range []string{``, `{"a":`, `{"a" 1}`, `{"a":1,}`} {
		assert.Error(t, EachMember([]byte(bad), func(string, json.RawMessage) error { return nil }), "%q", bad)
	}
}
