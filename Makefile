# adamlab — `make book` builds the HTML book, `make test` runs every test.
# Both create .venv and install requirements.txt + the package on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader shells out to `alembic`, and Jupyter finds the kernel on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONHASHSEED := 0

ASSIGNMENTS := $(notdir $(wildcard solutions/ex*))
WORKERS ?= 2

.PHONY: help install book browser bwrap test test-fast lint bench portability release collect grade clean

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make test     run the whole test suite (builds the book first)"
	@echo "make test-fast  the inner loop: lint and every test but the book, browser and instructor-flow ones"
	@echo "make portability  execute every chapter under each CPU kernel width and thread count this CPU has"
	@echo "make bench    time book builds, make test, grading and optimizer steps into _bench/"
	@echo "make release  regenerate exercises/ from solutions/ (nbgrader generate_assignment)"
	@echo "make collect A=<assignment>   unpack _grading/downloaded/<assignment>/archive/*.zip into _grading/submitted/"
	@echo "make grade    autograde _grading/submitted/ in a bubblewrap jail, write feedback and _grading/grades.csv"
	@echo "              A=<assignment> one assignment, S=<student> one student; UNSAFE=1 grades without a jail"

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -e ".[all]" 2> $(VENV)/pip-install.log \
	  || { cat $(VENV)/pip-install.log; echo "pip install failed"; exit 1; }
	@$(BIN)/python -c "import adamlab, torch, numba, nbgrader, jupyter_book, pytest" \
	  || { echo "install incomplete: see $(VENV)/pip-install.log"; exit 1; }
	@touch $(STAMP)

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

book: $(STAMP)
	@# Jupyter Book runs notebooks one at a time: execute them JOBS at a time into its cache first.
	$(BIN)/python tools/bookexec.py --jobs $(JOBS)
	@# The student kit (the adamlab wheel), served at kit/ of the site; rebuilt only when src/ changed.
	$(BIN)/python tools/kit.py build
	$(BIN)/jupyter-book build . -W --keep-going --quiet
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# tests/tools/test_browser.py reads the built book in Debian's Chromium (apt-get, once; needs root).
browser:
	@sh tests/install_browser.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools

# make grade jails student code with bubblewrap (apt-get, once; needs root, else it says what to run).
bwrap:
	@sh tests/install_bwrap.sh

test: lint book browser bwrap
	@# The book's prose must hold on another machine too: plain kernels, one thread, another seed.
	$(BIN)/python tools/portability.py --other-machine
	@# Two pytest-xdist workers, a test file each at a time, in collection order: the class that the instructor-flow
	@# and red-team tests read is graded in the background from the start, and their files come last
	@# (tests/grading/graded_class.py).
	@# Bytecode for every process the tests start (kernels, jails, tools), written once: where PYTHONDONTWRITEBYTECODE
	@# is set, each of them would compile adamlab again.
	$(BIN)/python -m compileall -q -j 0 src tests tools
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

test-fast: lint
	$(BIN)/python -m pytest -m "not slow" -q -n 2 --dist loadfile

portability: $(STAMP)
	$(BIN)/python tools/portability.py $(if $(SEEDS),--seeds $(SEEDS))

bench: $(STAMP)
	$(BIN)/python tools/bench.py --out _bench

release: $(STAMP)
	@mkdir -p _grading
	@for a in $(ASSIGNMENTS); do \
	  $(BIN)/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
	done
	@echo "exercises/ regenerated for: $(ASSIGNMENTS)"

collect: $(STAMP)
	@test -n "$(A)" || { echo "usage: make collect A=<assignment>"; exit 1; }
	@mkdir -p _grading
	$(BIN)/nbgrader zip_collect $(A) --force --log-level=WARN
	@echo "collected into _grading/submitted/*/$(A)/"

grade: $(STAMP)
	@sh tests/install_bwrap.sh || test "$(UNSAFE)" = 1
	$(BIN)/python -m adamlab.grading.confirm.cli grade --workers $(WORKERS) $(if $(A),--assignment $(A)) \
	  $(if $(S),--student $(S)) $(if $(filter 1,$(UNSAFE)),--unsafe)

clean:
	rm -rf _build _bench
