package signalrtest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/funcsignalr/funcsignalr/signalr"
)

// hubOf returns c's client for hub, failing the test on an invalid name.
func hubOf(t testing.TB, c *signalr.Client, hub string) *signalr.HubClient {
	t.Helper()
	h, err := c.Hub(hub)
	require.NoError(t, err)
	return h
}
