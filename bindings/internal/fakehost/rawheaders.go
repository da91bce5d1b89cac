package fakehost

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
)

// net/http canonicalizes header names (x-ms-client-principal-id becomes
// X-Ms-Client-Principal-Id), but the Functions host, on Kestrel, keeps the caller's spelling of
// every header it does not know, and both the HTTP trigger's Headers and the SignalR trigger's
// Headers show it. The host's listener therefore tees each connection through a scanner that
// records the header names of every request as they crossed the wire; ServeHTTP takes them
// back in request order.

// maxHeaderBlock bounds what the scanner keeps of one request's header block, as
// http.Server's default MaxHeaderBytes bounds the server's.
const maxHeaderBlock = http.DefaultMaxHeaderBytes + 4096

// maxQueuedBlocks bounds the header lists a connection holds for requests the server has not
// taken yet: net/http reads one request at a time, so only a pipelining client gets ahead, and
// past this many its later requests simply fall back to canonical names.
const maxQueuedBlocks = 64

type rawConnKey struct{}

// captureListener wraps every accepted connection in a captureConn.
type captureListener struct{ net.Listener }

func (l captureListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &captureConn{Conn: c}, nil
}

// connContext makes a captureConn reachable from its requests.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*captureConn); ok {
		return context.WithValue(ctx, rawConnKey{}, cc)
	}
	return ctx
}

// rawHeaderNames returns the header names of r as the caller wrote them, keyed by their
// canonical form (the first spelling wins, as Kestrel merges repeated names). It must be
// called once for every request of a connection, in order; nil means unknown.
func rawHeaderNames(r *http.Request) map[string]string {
	cc, ok := r.Context().Value(rawConnKey{}).(*captureConn)
	if !ok {
		return nil
	}
	names := cc.next()
	if names == nil {
		return nil
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		k := textproto.CanonicalMIMEHeaderKey(n)
		if _, seen := m[k]; !seen {
			m[k] = n
		}
	}
	return m
}

type captureConn struct {
	net.Conn
	mu    sync.Mutex
	scan  headerScanner
	queue [][]string
}

func (c *captureConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.mu.Lock()
		for _, names := range c.scan.feed(b[:n]) {
			if len(c.queue) == maxQueuedBlocks {
				// The lists must stay in step with the requests: once one is dropped,
				// none of the later ones can be matched.
				c.scan.state = scanStopped
				break
			}
			c.queue = append(c.queue, names)
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *captureConn) next() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return nil
	}
	names := c.queue[0]
	c.queue = c.queue[1:]
	return names
}

type scanState uint8

const (
	scanHeaders scanState = iota
	scanBody
	scanChunkSize
	scanChunkData
	scanChunkEnd
	scanTrailer
	scanStopped // an upgrade, or bytes the scanner does not understand: names unknown from here
)

// headerScanner follows HTTP/1.1 request framing over the bytes of a connection: header
// blocks, then Content-Length or chunked bodies. It keeps only the current line.
type headerScanner struct {
	state   scanState
	line    []byte
	block   int // bytes of the current header block
	started bool
	names   []string
	length  int64
	chunked bool
	upgrade bool
	remain  int64
}

// feed consumes b and returns the name lists of the header blocks it completed.
func (s *headerScanner) feed(b []byte) [][]string {
	var done [][]string
	for len(b) > 0 && s.state != scanStopped {
		switch s.state {
		case scanBody, scanChunkData:
			n := int64(len(b))
			if n > s.remain {
				n = s.remain
			}
			s.remain -= n
			b = b[n:]
			if s.remain == 0 {
				if s.state == scanBody {
					s.state = scanHeaders
				} else {
					s.state = scanChunkEnd
				}
			}
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.line = append(s.line, b...)
			s.block += len(b)
			if s.block > maxHeaderBlock {
				s.state = scanStopped
			}
			return done
		}
		s.line = append(s.line, b[:i]...)
		s.block += i + 1
		b = b[i+1:]
		line := strings.TrimSuffix(string(s.line), "\r")
		s.line = s.line[:0]
		if names := s.onLine(line); names != nil {
			done = append(done, names)
		}
		if s.block > maxHeaderBlock {
			s.state = scanStopped
		}
	}
	return done
}

// onLine handles one line and returns the header names when it ends a header block.
func (s *headerScanner) onLine(line string) []string {
	switch s.state {
	case scanHeaders:
		if !s.started {
			if line == "" {
				s.block = 0 // blank lines before a request line are ignored
				return nil
			}
			s.started = true
			if strings.HasPrefix(line, "CONNECT ") || strings.HasPrefix(line, "PRI ") {
				s.upgrade = true
			}
			return nil
		}
		if line != "" {
			if line[0] == ' ' || line[0] == '\t' {
				return nil // obsolete line folding continues the previous field
			}
			name, value, ok := strings.Cut(line, ":")
			if !ok {
				s.state = scanStopped
				return nil
			}
			s.names = append(s.names, name)
			value = strings.TrimSpace(value)
			switch {
			case strings.EqualFold(name, "Content-Length"):
				n, err := strconv.ParseInt(value, 10, 64)
				if err != nil || n < 0 {
					s.state = scanStopped
					return nil
				}
				s.length = n
			case strings.EqualFold(name, "Transfer-Encoding"):
				s.chunked = strings.EqualFold(strings.TrimSpace(lastToken(value)), "chunked")
			case strings.EqualFold(name, "Upgrade"):
				s.upgrade = true
			}
			return nil
		}
		names := s.names
		if names == nil {
			names = []string{}
		}
		switch {
		case s.upgrade:
			s.state = scanStopped
		case s.chunked:
			s.state = scanChunkSize
		case s.length > 0:
			s.state, s.remain = scanBody, s.length
		}
		s.started, s.names, s.length, s.chunked, s.upgrade, s.block = false, nil, 0, false, false, 0
		return names
	case scanChunkSize:
		s.block = 0 // chunk lines are bounded one by one, not per body
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			s.state = scanStopped
			return nil
		}
		if n == 0 {
			s.state = scanTrailer
		} else {
			s.state, s.remain = scanChunkData, n
		}
	case scanChunkEnd:
		s.block = 0
		if line != "" {
			s.state = scanStopped
			return nil
		}
		s.state = scanChunkSize
	case scanTrailer:
		if line == "" {
			s.state, s.block = scanHeaders, 0
		}
	}
	return nil
}

func lastToken(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		return v[i+1:]
	}
	return v
}
