# lakewarden — see README.md. Everything runs against moto on 127.0.0.1; nothing here talks to AWS.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
MOTO_DIR := .moto
FUNCTIONS := $(notdir $(wildcard functions/*))
EVENT ?= tests/events/scheduled.json
FUNCTION ?= catalog-sharer
PORT ?= 9001

.PHONY: all venv test test-python test-rust lint build demo bench moto-start moto-stop invoke clean

all: test

$(STAMP): tests/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## test: moto extension tests, then unit + integration tests of every crate (moto per test binary)
test: venv test-python test-rust

test-python: venv
	PYTHONPATH=tests/moto_ext $(PY) -m pytest -q tests/moto_ext

test-rust: venv
	cargo test --workspace --locked

## lint: cfn-lint (0 errors, 0 warnings), clippy -D warnings, rustfmt
lint: venv
	$(VENV)/bin/cfn-lint infra/*.yaml
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo fmt --all -- --check

## build: arm64 Lambda zips in target/lambda/<function>/bootstrap.zip
build: venv
	cargo lambda build --release --arm64 --output-format zip $(addprefix --package ,$(FUNCTIONS))

## demo: the scenarios end to end on moto with the embedded default configuration
demo: venv
	PYTHONPATH=tests/moto_ext $(PY) tests/demo/demo.py

## bench: planning speed and API calls per run, as a table
bench: venv
	cargo run --release --locked -p lakewarden-tests --bin bench

## moto-start / moto-stop: a moto server for manual tries (.moto/endpoint, stopped by PID)
moto-start: venv
	@mkdir -p $(MOTO_DIR)
	@if [ -f $(MOTO_DIR)/moto.pid ] && kill -0 $$(cat $(MOTO_DIR)/moto.pid) 2>/dev/null; then \
	  echo "moto already running at $$(cat $(MOTO_DIR)/endpoint)"; \
	else \
	  PYTHONPATH=tests/moto_ext nohup $(PY) -m lakewarden_moto --host 127.0.0.1 --port 0 \
	    --pidfile $(MOTO_DIR)/moto.pid > $(MOTO_DIR)/stdout.log 2> $(MOTO_DIR)/stderr.log & \
	  for i in $$(seq 1 100); do grep -q LAKEWARDEN_MOTO_READY $(MOTO_DIR)/stdout.log 2>/dev/null && break; sleep 0.1; done; \
	  sed -n 's/^LAKEWARDEN_MOTO_READY //p' $(MOTO_DIR)/stdout.log > $(MOTO_DIR)/endpoint; \
	  echo "moto running at $$(cat $(MOTO_DIR)/endpoint) (pid $$(cat $(MOTO_DIR)/moto.pid))"; \
	fi

moto-stop:
	@if [ -f $(MOTO_DIR)/moto.pid ]; then kill $$(cat $(MOTO_DIR)/moto.pid) 2>/dev/null || true; rm -f $(MOTO_DIR)/moto.pid; echo "moto stopped"; fi

## invoke: FUNCTION=catalog-sharer EVENT=tests/events/glue-create-table.json — sets up the demo
## accounts in a fresh moto, starts `cargo lambda watch`, and sends the event with `cargo lambda invoke`
invoke: venv
	PYTHONPATH=tests/moto_ext $(PY) tests/demo/demo.py --invoke $(FUNCTION) --event $(EVENT) --port $(PORT)

clean: moto-stop
	rm -rf $(MOTO_DIR)
