package signalr

import (
	"errors"
	"sync"
)

// AccessKeyCredential holds a service access key. Update replaces it for key rotation; it is safe
// for concurrent use. The key never appears in String output or errors.
type AccessKeyCredential struct {
	mu      sync.RWMutex
	key     string
	version uint64
}

// NewAccessKeyCredential returns a credential for key, the AccessKey value of a connection string.
func NewAccessKeyCredential(key string) *AccessKeyCredential {
	return &AccessKeyCredential{key: key}
}

// Update replaces the key; requests signed afterwards use the new one.
func (c *AccessKeyCredential) Update(key string) {
	c.mu.Lock()
	c.key = key
	c.version++
	c.mu.Unlock()
}

// current returns the current key, for signing; it must never be logged.
func (c *AccessKeyCredential) current() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.key
}

// keyAndVersion returns the key with a counter that changes on every Update, so token caches
// know when to discard tokens signed with a rotated key.
func (c *AccessKeyCredential) keyAndVersion() (string, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.key, c.version
}

// String redacts the key.
func (c *AccessKeyCredential) String() string { return "signalr.AccessKeyCredential(REDACTED)" }

func (c *AccessKeyCredential) validate() error {
	if c == nil {
		return errors.New("signalr: access key credential is nil")
	}
	if c.current() == "" {
		return errors.New("signalr: access key is empty; expected the AccessKey value of the connection string")
	}
	return nil
}
