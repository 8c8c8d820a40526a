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

.PHONY: all venv test test-python test-infra test-rust test-iam lint build package stackset-commands demo bench test-faults moto-start moto-stop invoke clean zip-sizes

all: test

$(STAMP): tests/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## test: moto extension tests, every template deployed into moto, then unit + integration tests of
## every crate (moto per test binary), then the templates' roles against what the tests called
test: venv test-python test-infra test-rust
	@$(MAKE) --no-print-directory test-iam

test-python: venv
	PYTHONPATH=tests/moto_ext $(PY) -m pytest -q tests/moto_ext

## test-infra: deploy every infra/*.yaml into moto's CloudFormation and read back what it made
test-infra: venv
	PYTHONPATH=tests/moto_ext $(PY) -m pytest -q tests/infra

# Each test process records its reports' api_operations in target/api-operations/<pid>.jsonl
# (tests/src/lib.rs); a fresh directory per run, so test-iam sees this run's calls only.
test-rust: venv
	rm -rf target/api-operations
	cargo test --workspace --locked

## test-iam: every template's role allows each operation its function called in the integration
## tests, and nothing they never call unless tests/infra/iam-check.yaml says why (run after
## test-rust; tests/infra/check_iam.py)
test-iam: venv
	$(PY) tests/infra/check_iam.py

## lint: cfn-lint (0 errors, 0 warnings), checkov (0 failed checks), clippy -D warnings, rustfmt
## checkov pins a boto3 that moto's cannot share, so it lives in its own venv, .venv/checkov.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP): tests/requirements-checkov.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-checkov.txt
	touch $(CHECKOV_STAMP)

lint: venv $(CHECKOV_STAMP)
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(CHECKOV_VENV)/bin/checkov --directory infra --framework cloudformation --compact --quiet --skip-download
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo fmt --all -- --check

## build: arm64 Lambda zips in target/lambda/<function>/bootstrap.zip
build: venv
	cargo lambda build --release --arm64 --output-format zip $(addprefix --package ,$(FUNCTIONS))
	@$(MAKE) --no-print-directory zip-sizes

# Each zip must stay within 8 MB (what keeps them small: see docs/operations.md).
MAX_ZIP_BYTES := 8388608
zip-sizes:
	@status=0; for f in $(FUNCTIONS); do z=target/lambda/$$f/bootstrap.zip; \
	  if [ ! -f $$z ]; then echo "$$z missing"; status=1; continue; fi; \
	  n=$$(stat -c %s $$z); printf '%-22s %9d bytes  %6.2f MB\n' $$f $$n $$(echo "$$n / 1048576" | bc -l); \
	  if [ $$n -gt $(MAX_ZIP_BYTES) ]; then echo "  $$f is over 8 MB"; status=1; fi; done; exit $$status

## package: dist/ = the zips (dist/lambda/<function>.zip), the templates and DEPLOY.md, to deploy
## without the source tree (run `make build` first)
package:
	@$(MAKE) --no-print-directory zip-sizes
	rm -rf dist && mkdir -p dist/lambda dist/infra
	for f in $(FUNCTIONS); do cp target/lambda/$$f/bootstrap.zip dist/lambda/$$f.zip; done
	cp infra/*.yaml dist/infra/
	cp docs/DEPLOY.md dist/DEPLOY.md
	cd dist && sha256sum lambda/*.zip infra/*.yaml > SHA256SUMS
	@echo "dist/ ready:"; cd dist && find . -type f | sort

## stackset-commands: OU=ou-xxxx-yyyyyyyy REGIONS="us-east-1 eu-west-1" prints the commands that
## deploy infra/consumer.yaml and infra/integrations.yaml to every account of the OU with a
## service-managed StackSet (automatic deployment); run them in the management or delegated
## administrator account. See docs/operations.md.
OU ?=
REGIONS ?=
CODE_BUCKET ?= MY-ARTIFACTS
CONFIG_PARAMETER ?= /lakewarden/config
ALERT_EMAIL ?=
CONSUMER_ROLE_NAMES ?=
SOURCE_TABLES ?= -
TARGET_ROLES ?= -
TEMPLATE_DIR ?= infra
CALL_AS ?= SELF
stackset-commands:
	@if [ -z "$(OU)" ] || [ -z "$(REGIONS)" ]; then \
	  echo 'usage: make stackset-commands OU=ou-xxxx-yyyyyyyy REGIONS="us-east-1 eu-west-1" [CODE_BUCKET=prefix] [CONFIG_PARAMETER=/lakewarden/config] [ALERT_EMAIL=...] [CONSUMER_ROLE_NAMES=a,b] [SOURCE_TABLES=t1,t2] [TARGET_ROLES=r1] [CALL_AS=DELEGATED_ADMIN]' >&2; exit 2; fi
	@p() { [ -n "$$2" ] && printf " 'ParameterKey=%s,ParameterValue=%s'" "$$1" "$$(printf '%s' "$$2" | sed 's/,/\\,/g')"; true; }; \
	for t in consumer integrations; do \
	  params="$$(p CodeBucket '$(CODE_BUCKET)')$$(p CodeBucketRegionSuffix true)$$(p ConfigParameterName '$(CONFIG_PARAMETER)')$$(p AlertEmail '$(ALERT_EMAIL)')"; \
	  case $$t in \
	    consumer) params="$$params$$(p ConsumerRoleNames '$(CONSUMER_ROLE_NAMES)')";; \
	    integrations) params="$$params$$(p SourceTableNames '$(SOURCE_TABLES)')$$(p TargetRoleNames '$(TARGET_ROLES)')";; \
	  esac; \
	  echo "aws cloudformation create-stack-set --stack-set-name lakewarden-$$t --template-body file://$(TEMPLATE_DIR)/$$t.yaml --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false --capabilities CAPABILITY_IAM --call-as $(CALL_AS) --parameters$$params"; \
	  echo "aws cloudformation create-stack-instances --stack-set-name lakewarden-$$t --deployment-targets OrganizationalUnitIds=$(OU) --regions $(REGIONS) --operation-preferences FailureTolerancePercentage=10,MaxConcurrentPercentage=25,RegionConcurrencyType=PARALLEL --call-as $(CALL_AS)"; \
	done

## demo: the scenarios end to end on moto with the embedded default configuration
demo: venv
	PYTHONPATH=tests/moto_ext $(PY) tests/demo/demo.py

## bench: release bootstraps (host) — planning table, then cold starts, the paired comparison with a
## naive Python/boto3 catalog-sharer and the 10,000-table run, through a local Lambda Runtime API
## (docs/bench.md). BENCH_ARGS="--scale-tables 2000" for a quicker run.
BENCH_ARGS ?=
bench: venv
	cargo build --release --locked --bins $(addprefix -p ,$(FUNCTIONS)) -p lakewarden-tests
	target/release/bench
	PYTHONPATH=tests/moto_ext $(PY) tests/bench/bench.py $(BENCH_ARGS)

## test-faults: the local AWS answering 20 % of requests with throttling / 5xx errors: the fault
## mode's own tests, then every fault case of tests/tests/faults.rs (the small ones also run in `make test`)
test-faults: venv
	PYTHONPATH=tests/moto_ext $(PY) -m pytest -q tests/moto_ext/test_faults.py
	cargo test --locked -p lakewarden-tests --features heavy-faults --test faults -- --nocapture

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
