package negotiate

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

const (
	defaultKeyRefreshInterval = 55 * time.Minute
	defaultKeyMaxAge          = 120 * time.Minute
	defaultKeyRetryInterval   = 5 * time.Minute
	// transientKeyRetryInterval spaces out attempts after failures other than 401/403, so an
	// unreachable service is not asked once per negotiation.
	transientKeyRetryInterval = 10 * time.Second
	// keyFetchTimeout bounds one accessKey request; callers stop waiting when their own context
	// ends, but the shared request runs to completion for the next caller.
	keyFetchTimeout = 30 * time.Second
)

// keyCache holds the temporary access key of a Microsoft Entra identity. A key younger than
// refresh is used as is; until maxAge it is still used while one background request renews it;
// past maxAge callers wait for a fresh one. Concurrent callers share one in-flight request, and
// after a failure no new request is made until retryAt.
type keyCache struct {
	fetch   func(ctx context.Context) (keyID, key string, err error)
	now     func() time.Time
	refresh time.Duration
	maxAge  time.Duration
	retry   time.Duration

	mu       sync.Mutex
	cur      *signingKey
	fetched  time.Time
	retryAt  time.Time
	lastErr  error
	inflight *keyFetch
}

type keyFetch struct {
	done chan struct{}
	key  *signingKey
	err  error
}

func newKeyCache(fetch func(context.Context) (string, string, error), o NegotiatorOptions, now func() time.Time) *keyCache {
	c := &keyCache{fetch: fetch, now: now, refresh: o.KeyRefreshInterval, maxAge: o.KeyMaxAge, retry: o.KeyRetryInterval}
	if c.refresh <= 0 {
		c.refresh = defaultKeyRefreshInterval
	}
	if c.maxAge <= 0 {
		c.maxAge = defaultKeyMaxAge
	}
	if c.maxAge < c.refresh {
		c.maxAge = c.refresh
	}
	if c.retry <= 0 {
		c.retry = defaultKeyRetryInterval
	}
	return c
}

// errKeyBackoff reports that the last request for a key failed recently enough not to repeat it.
var errKeyBackoff = errors.New("waiting before asking the service for a key again")

// get returns a usable key, fetching one if needed.
func (c *keyCache) get(ctx context.Context) (*signingKey, error) {
	now := c.now()
	c.mu.Lock()
	if c.cur != nil {
		age := now.Sub(c.fetched)
		if age < c.refresh {
			k := c.cur
			c.mu.Unlock()
			return k, nil
		}
		if age < c.maxAge {
			if c.inflight == nil && !now.Before(c.retryAt) {
				c.startLocked(ctx)
			}
			k := c.cur
			c.mu.Unlock()
			return k, nil
		}
	}
	f := c.inflight
	if f == nil {
		if now.Before(c.retryAt) {
			err := c.lastErr
			c.mu.Unlock()
			return nil, errors.Join(errKeyBackoff, err)
		}
		f = c.startLocked(ctx)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.key, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startLocked starts the one shared request. It runs on its own goroutine so that every waiter,
// the first included, can give up when its own context ends.
func (c *keyCache) startLocked(ctx context.Context) *keyFetch {
	f := &keyFetch{done: make(chan struct{})}
	c.inflight = f
	fetchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), keyFetchTimeout)
	go func() {
		defer cancel()
		kid, key, err := c.fetch(fetchCtx)
		c.mu.Lock()
		now := c.now()
		if err == nil {
			c.cur = newSigningKey(kid, key)
			c.fetched = now
			c.retryAt = time.Time{}
			c.lastErr = nil
			f.key = c.cur
		} else {
			c.lastErr = err
			c.retryAt = now.Add(c.retryDelay(err))
			f.err = err
		}
		c.inflight = nil
		c.mu.Unlock()
		close(f.done)
	}()
	return f
}

// retryDelay backs off longer when the service refused the identity: that needs a role
// assignment, not a retry.
func (c *keyCache) retryDelay(err error) time.Duration {
	var re *azcore.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusUnauthorized || re.StatusCode == http.StatusForbidden) {
		return c.retry
	}
	return min(transientKeyRetryInterval, c.retry)
}
