# Satchel: `make run` opens the app, `make test` runs every test. Both set up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv run test bench starter screenshots lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	touch $(STAMP)

# The starter library: built and signed from content_packs/default/ into dist/starter/.
starter: venv
	$(BIN)/python -m content_packs.starter --out dist/starter

run: venv starter
	$(BIN)/satchel

test: venv starter
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: venv starter
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshots: venv starter
	$(BIN)/python -m ui.screenshots --out docs/screenshots

# Re-pin dependencies with hashes after editing requirements.in (needs network access to PyPI).
lock:
	$(PYTHON) -m venv .lockvenv && .lockvenv/bin/pip install --quiet pip-tools
	.lockvenv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links -o requirements.lock requirements.in
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) dist .pytest_cache
