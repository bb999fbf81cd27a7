# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit demo clean i18n screenshots package icons

$(BIN)/python:
	bash scripts/ensure-system.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	bash scripts/ensure-system.sh $(PYTHON) test
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/practice

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

unit: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -n auto --dist loadgroup

test: lint typecheck unit

demo: $(VENV)/.app-installed
	$(BIN)/practice demo

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# The installable bundle for this platform: dist/practice-desk/ and its archive
# (packaging/build.py; on Linux, unpack and run install.sh).
package: $(VENV)/.test-installed
	$(BIN)/python packaging/build.py

# Redraw the PNG, .ico and .icns icons after changing resources/icons/practice-desk.svg.
icons: $(VENV)/.test-installed
	$(BIN)/python scripts/make_icons.py

# Refresh the translation catalogs after changing user-facing text, then translate
# the new empty entries in resources/locale/*/LC_MESSAGES/practice.po (the desktop's)
# and relay/locale/*/LC_MESSAGES/relay.po (the relay's pages, shipped with the relay).
i18n: $(VENV)/.test-installed
	mkdir -p build
	$(BIN)/pybabel extract -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
		-o build/practice.pot app
	$(BIN)/pybabel update -i build/practice.pot -d resources/locale -D practice \
		--no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/pybabel extract -k _ -k N_ -k ngettext:1,2 --no-location --sort-output \
		-o build/relay.pot relay
	$(BIN)/pybabel update -i build/relay.pot -d relay/locale -D relay \
		--no-fuzzy-matching --ignore-obsolete --width 100

# Pictures of every main screen, in both languages, into docs/screenshots/.
screenshots: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/walkthrough.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/integrations_walkthrough.py
