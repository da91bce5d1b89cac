# Every target runs from a fresh clone: the JS harness is installed on demand.
GO       ?= go
JSDIR    := internal/jsclient
# An execution count, not a duration: Go 1.26 can fail a target at a -fuzztime deadline
# with "context deadline exceeded" though nothing was found (go.dev/issue/75804).
FUZZTIME ?= 10000x

.PHONY: test vet js bench fuzz lint

test: vet js
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

# The official @microsoft/signalr client, used by tests as the judge of wire compatibility.
js: $(JSDIR)/node_modules/.package-lock.json

$(JSDIR)/node_modules/.package-lock.json: $(JSDIR)/package-lock.json
	cd $(JSDIR) && npm ci --no-audit --no-fund

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# A short smoke run of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run='^$$' -fuzz="^$$target\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
