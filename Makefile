# Gatehouse: the make targets are the interface (npm scripts only mirror a few of them).
# Two commands on a fresh machine: `make run` and `make test`.

SHELL := /bin/sh
NODE_MODULES := node_modules/.package-lock.json
BUILD_STAMP := dist/.build-stamp
SOURCES := $(shell find src test bench examples -name '*.ts' 2>/dev/null) tsconfig.json
COVERAGE_LINES ?= 85
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= var

.PHONY: all install build run test test-unit test-e2e lint format check bench bench-micro clean install-system help

all: build

help:
	@echo "make run          install, build, migrate and serve on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	@echo "make test         install, build, run the whole test suite under c8 (line floor $(COVERAGE_LINES)%)"
	@echo "make lint         eslint + prettier --check"
	@echo "make bench        load benchmarks against the peers (bench/README.md)"
	@echo "make bench-micro  in-process micro-benchmarks (JWT verify, router, pipeline)"
	@echo "make install-system PREFIX=/opt/gatehouse   install the built server, systemd unit and Nginx site"

# npm ci only when the lock file changed since the last install (native modules take ~90 s to compile).
$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES)

install: $(NODE_MODULES)

$(BUILD_STAMP): $(NODE_MODULES) $(SOURCES)
	rm -rf dist
	npx tsc -p tsconfig.json
	@touch $(BUILD_STAMP)

build: $(BUILD_STAMP)

run: build
	@./bin/gatehouse migrate --data-dir $(DATA_DIR)
	@exec ./bin/gatehouse serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# The whole suite: unit tests of pure logic plus end-to-end tests that start the real server (real uWS,
# SQLite file, worker processes) on free ports. c8 follows the worker processes through NODE_V8_COVERAGE.
TEST_FILES = $$(find dist/test -name '*.test.js' | sort)

test: build
	npx c8 --check-coverage --lines $(COVERAGE_LINES) node --test --test-reporter=spec $(TEST_FILES)

test-unit: build
	node --test $$(find dist/test/unit dist/test/property -name '*.test.js' 2>/dev/null | sort)

test-e2e: build
	node --test $$(find dist/test/e2e -name '*.test.js' | sort)

lint: $(NODE_MODULES)
	npx eslint .
	npx prettier --check .

format: $(NODE_MODULES)
	npx prettier --write .

check: lint test

bench: build
	node dist/bench/http/run-bench.js

bench-micro: build
	node dist/bench/micro/run-micro.js

install-system: build
	./ops/install.sh "$(PREFIX)"

clean:
	rm -rf dist coverage .nyc_output
