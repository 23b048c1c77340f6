# Two entry points, both from a fresh clone (Python 3.11, pip, make):
#   make demo   install digitlab in .venv and train + evaluate a network on the embedded digits data
#   make test   install every extra and the test tools (and Debian's chromium), then run the test suite
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned: 2.13.0 is the CPU wheel these machines carry; any other version pulls CUDA
TORCH ?= torch==2.13.0

.PHONY: demo test install install-dev browser

demo: install
	$(BIN)/digitlab train --dataset digits --model mlp

# two workers, one per core: most tests run on one thread (7.5 -> 5 min on two cores); a test file's
# tests stay together, in order, on one worker (README's commands build on the ones before them)
test: install-dev browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

install: $(BIN)/digitlab

$(BIN)/digitlab: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -e .
	touch $@

install-dev: install
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[torch,keras,serve,onnx,cluster,dev]"

# the web app's browser tests drive Debian's chromium (Playwright's own browser download is not used);
# apt's hundreds of lines go to a log, so the test output shows one line, or the log's tail on failure
BROWSER_LOG ?= /tmp/digitlab-apt-chromium.log
browser:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium for the browser tests (apt log: $(BROWSER_LOG))"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
				>$(BROWSER_LOG) 2>&1 || { tail -n 20 $(BROWSER_LOG); exit 1; }; \
		else echo "install chromium (apt-get install chromium) for the browser tests"; fi; }
