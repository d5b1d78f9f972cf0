# The two set-up commands are `make demo` and `make test`; both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Our matrices are small: threaded BLAS only adds spinning threads on a 2-core machine.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: demo test test-fast notebooks docs bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,docs,dask,explore]"
	touch $(STAMP)

## demo: run the main job on the bundled scenarios and data; writes out/report.md, out/report.html and PNGs
demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/richardson demo --out out

## test: the whole suite: unit tests, then the docs build, which executes every notebook
test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest
	$(MAKE) docs

## docs: build the HTML docs (notebooks executed; warnings are errors) into docs/_build/html
docs: $(STAMP)
	rm -rf docs/_build docs/generated
	env -u MPLBACKEND $(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -m "not slow"

notebooks: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest --nbmake --nbmake-timeout=300 -p no:randomly notebooks -o addopts="" -W "ignore::DeprecationWarning"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check richardson tests benchmarks
	$(BIN)/ruff format --check richardson tests benchmarks

clean:
	rm -rf out docs/_build docs/generated docs/notebooks docs/jupyter_execute .pytest_cache
