# Satchel: `make run` opens the app, `make test` runs every test. Both set up first:
# system packages (build/system-packages, installed by build/sysdeps.sh), then a venv
# from the hash-pinned locks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSDEPS := build/sysdeps.sh
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps
# The product code that ruff and mypy check.
PRODUCT := app crypto sync content_packs ui

FONTS  := dist/fonts/.copied
# The app bundle is rebuilt only when something it is made from changed.
BUNDLE := dist/SHA256SUMS
BUNDLE_INPUTS := $(shell find app crypto sync content_packs ui build -path build/out -prune -o \
	-name __pycache__ -prune -o -type f -print) requirements.lock pyproject.toml

.PHONY: venv sysdeps-run sysdeps-test sysdeps-bundle run test lint bench starter fonts bundle reproducible screenshots lock clean fuzz

venv: $(STAMP)

$(STAMP): requirements.lock requirements-build.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements-build.lock
	$(PIP) --no-build-isolation -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	touch $(STAMP)

sysdeps-run:
	@$(SYSDEPS) run

sysdeps-test:
	@$(SYSDEPS) test

sysdeps-bundle:
	@$(SYSDEPS) bundle

# The starter library: built and signed from content_packs/default/ into dist/starter/.
starter: venv
	$(BIN)/python -m content_packs.starter --out dist/starter

# The fonts Satchel ships (Noto, from a Debian package of build/system-packages), checked against
# build/fonts.sha256 and copied into dist/fonts/, which make run, the tests and the bundle use.
fonts: $(FONTS)

$(FONTS): build/fonts.sha256 build/fonts.py
	$(PYTHON) build/fonts.py dist/fonts
	touch $(FONTS)

# The self-contained app (build/bundle.sh): dist/satchel/, its .tar.gz and SHA256SUMS;
# with KEY=NAME.key, SHA256SUMS.minisig too.
bundle: sysdeps-bundle venv $(BUNDLE)
ifneq ($(KEY),)
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) $(BIN)/python build/sign_sums.py $(BUNDLE) $(KEY)
endif

$(BUNDLE): $(BUNDLE_INPUTS) $(FONTS) $(STAMP)
	build/bundle.sh

# Two bundle builds of this commit in separate folders, compared file by file.
reproducible: sysdeps-bundle venv fonts
	build/reproducible.sh

run: sysdeps-run venv starter fonts
	$(BIN)/satchel

lint: venv
	$(BIN)/ruff check $(PRODUCT)
	$(BIN)/mypy $(PRODUCT)

test: sysdeps-test venv starter fonts lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# Every parser of outside data under atheris for FUZZ_SECONDS each (make test runs them
# for 3 s), and the hypothesis properties with many more examples. Adding a target is one
# file: tests/fuzz/README.md.
FUZZ_SECONDS ?= 60
fuzz: sysdeps-test venv
	FUZZ_SECONDS=$(FUZZ_SECONDS) SATCHEL_HYPOTHESIS_PROFILE=fuzz QT_QPA_PLATFORM=offscreen \
	    $(BIN)/python -m pytest -q tests/fuzz

bench: sysdeps-test venv starter fonts
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshots: sysdeps-test venv starter fonts
	$(BIN)/python -m ui.screenshots --out docs/screenshots

# Re-pin dependencies with hashes after editing requirements*.in (needs network access to PyPI).
lock:
	$(PYTHON) -m venv .lockvenv && .lockvenv/bin/pip install --quiet pip-tools
	for f in requirements requirements-build; do \
	    .lockvenv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	        --no-emit-index-url --no-emit-find-links -o $$f.lock $$f.in || exit 1; done
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
