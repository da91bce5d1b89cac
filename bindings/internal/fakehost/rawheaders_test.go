package fakehost

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scanner follows HTTP/1.1 framing on a connection, so the header names of each request
// come back in order whatever the bodies and however the bytes are split.
func TestHeaderScanner(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   [][]string
	}{
		{
			name:   "two requests, a Content-Length body between",
			stream: "POST /a HTTP/1.1\r\nHost: h\r\nx-One: 1\r\nContent-Length: 5\r\n\r\nab\r\ncGET /b HTTP/1.1\r\nX-TWO: 2\r\n\r\n",
			want:   [][]string{{"Host", "x-One", "Content-Length"}, {"X-TWO"}},
		},
		{
			name:   "a chunked body with extensions and trailers",
			stream: "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer-A: t\r\n\r\nGET /b HTTP/1.1\r\nx-b: 1\r\n\r\n",
			want:   [][]string{{"Transfer-Encoding"}, {"x-b"}},
		},
		{
			name:   "bare line feeds and a leading blank line",
			stream: "\r\nGET /a HTTP/1.1\nx-a: 1\n\nGET /b HTTP/1.1\n\n",
			want:   [][]string{{"x-a"}, {}},
		},
		{
			name:   "an upgrade stops the scan",
			stream: "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n\x81\x05hello GET /b HTTP/1.1\r\nx: 1\r\n\r\n",
			want:   [][]string{{"Upgrade"}},
		},
		{
			name:   "a malformed length stops the scan",
			stream: "POST /a HTTP/1.1\r\nContent-Length: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
			want:   nil,
		},
	}
	for _, tt := range tests {
		for _, step := range []int{1, 3, 1 << 20} {
			var s headerScanner
			var got [][]string
			for i := 0; i < len(tt.stream); i += step {
				got = append(got, s.feed([]byte(tt.stream[i:min(i+step, len(tt.stream))]))...)
			}
			assert.Equal(t, tt.want, got, "%s, %d bytes at a time", tt.name, step)
		}
	}
}

func TestHeaderScannerBoundsALine(t *testing.T) {
	var s headerScanner
	s.feed([]byte("GET / HTTP/1.1\r\nX: "))
	for i := 0; i < 2*maxHeaderBlock/4096; i++ {
		s.feed(make([]byte, 4096))
	}
	assert.Equal(t, scanStopped, s.state)
	assert.LessOrEqual(t, len(s.line), maxHeaderBlock+4096, "the line kept is bounded")
}

// A pipelining client that sends far more requests than the server has taken cannot make the
// connection hold their header lists without bound.
func TestCaptureConnBoundsQueuedHeaderLists(t *testing.T) {
	client, server := net.Pipe()
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	stream := strings.Repeat("GET / HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: 1\r\n\r\n", 10*maxQueuedBlocks)
	go func() { _, _ = client.Write([]byte(stream)) }()
	cc := &captureConn{Conn: server}
	buf := make([]byte, 4096)
	for read := 0; read < len(stream); {
		n, err := cc.Read(buf)
		require.NoError(t, err)
		read += n
	}
	cc.mu.Lock()
	queued := len(cc.queue)
	cc.mu.Unlock()
	assert.Equal(t, maxQueuedBlocks, queued, "the lists kept are bounded")
	assert.Equal(t, scanStopped, cc.scan.state, "later requests fall back to canonical names")
	assert.Equal(t, []string{"Host", "X-Mixed-Case"}, cc.next(), "the lists kept stay in request order")
}
