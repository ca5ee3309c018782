# `make lab` sets up and opens the course; `make test` sets up and runs every test.
# Both are safe to run again: each step is skipped when it is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test notebooks student dot browser benchmarks lint clean

# JupyterLab refuses to run as root unless told it may (a container, a fresh VM).
lab: $(VENV)/.installed-lab dot
	$(BIN)/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The suite, then every chapter run top to bottom with its stored outputs compared (nbval).
test: $(VENV)/.installed-dev dot browser
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env --nbval-cell-timeout=300 \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/

# Re-execute the chapters in fresh kernels, store their outputs and text twins; print each one's time.
notebooks: $(VENV)/.installed-dev dot
	$(BIN)/python tools/run_notebooks.py

# The learners' notebooks, solutions replaced by stubs, in build/student/.
student: $(VENV)/.installed-dev
	$(BIN)/python tools/make_student.py build/student

benchmarks: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/import_time.py
	$(BIN)/python benchmarks/overhead.py
	cd benchmarks && ../$(BIN)/python mlp_step.py && ../$(BIN)/python lenet_step.py && ../$(BIN)/python memory.py && ../$(BIN)/python graph_run.py \
		&& ../$(BIN)/python graph_view.py && ../$(BIN)/python curves_overhead.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check minidl widgets tests benchmarks examples tools

# A virtual environment; Debian ships `venv` separately (python3-venv).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && tools/apt-install.sh python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip

# minidl in editable mode with one set of extras; redone when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[$*]"
	touch $@

# The graphviz `dot` program draws computation graphs; pip cannot install it.
dot:
	@command -v dot >/dev/null 2>&1 || tools/apt-install.sh graphviz

# Chromium runs the widgets in a real JupyterLab in one test; without it that test is skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || tools/apt-install.sh --no-install-recommends chromium fonts-dejavu-core \
		|| echo "(without Chromium, the real-browser test is skipped)"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
