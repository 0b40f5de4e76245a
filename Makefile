# One entry point for building, testing and benchmarking Tannin.
GO ?= go

.PHONY: build test test-unit lint fmt bench bench-load run clean

build:
	$(GO) build -o bin/tannin ./cmd/tannin

# The README's test command: what CI runs (.ci/run).
test:
	bash scripts/test.sh

# Fast inner-loop tests: no external data, no race detector.
test-unit:
	$(GO) test -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	$(GO) run ./cmd/tannin-bench

# The cluster under concurrent load: QPS and latency through the broker.
bench-load:
	$(GO) run ./cmd/tannin-loadbench

run:
	$(GO) run ./cmd/tannin quickstart

clean:
	rm -rf bin .cache
