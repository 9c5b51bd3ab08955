# replyguard — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STATE  ?= var

.PHONY: run test venv sysdeps certs bench lint-policies clean addons-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,addons]'
	touch $(STAMP)

venv: $(STAMP)

# Debian packages the end-to-end tests talk to (postfix, swaks, opendkim, chromium).
sysdeps:
	bash scripts/sysdeps.sh

certs: $(STAMP)
	$(BIN)/replyguard certs --state-dir $(STATE)

# Browser-side demo (docs/addons.md): the demo webmail on :8025 behind `replyguard addons` on :8080.
addons-demo: $(STAMP)
	$(BIN)/python -m addons.demo_webmail --port 8025 --state-dir $(STATE) & trap "kill $$!" EXIT; \
	$(BIN)/replyguard addons --state-dir $(STATE) --api-host 127.0.0.1:8025

run: $(STAMP)
	$(BIN)/replyguard policy lint policies/default.yaml
	$(BIN)/replyguard serve --state-dir $(STATE)

test: $(STAMP) sysdeps
	$(BIN)/replyguard policy lint policies/default.yaml policies/examples/*.yaml
	$(BIN)/replyguard policy test policies/tests
	$(BIN)/python -m pytest -q tests
	$(PYTHON) ../shared/tools/check_replies.py ../shared/examples/replies --replyguard $(BIN)/replyguard
	$(BIN)/python ../shared/tools/check_inbound.py ../shared/examples/inbound --replyguard $(BIN)/replyguard

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) $(STATE) .pytest_cache
