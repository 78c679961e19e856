# 城运 Chengyun — `make demo` runs the platform, `make test` passes the suite.
# Works on a fresh Debian machine with only Python 3.11: missing system packages are
# installed with apt-get when running as root (see scripts/system-deps.sh).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
PYTEST_ARGS ?= -n auto

.PHONY: demo test install bench clean

demo: install
	$(BIN)/chengyun demo $(DEMO_ARGS)

test: install
	@echo "== 测试：SQLite =="
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$CHENGYUN_TEST_POSTGRES_URL" ]; then \
	  echo "== 测试：PostgreSQL ($$CHENGYUN_TEST_POSTGRES_URL) =="; \
	  CHENGYUN_DATABASE_URL="$$CHENGYUN_TEST_POSTGRES_URL" $(PYTEST) $(PYTEST_ARGS); \
	else \
	  echo "== PostgreSQL 测试已跳过：未设置 CHENGYUN_TEST_POSTGRES_URL（如 postgresql://postgres@127.0.0.1:5432/chengyun）=="; \
	fi

install: $(STAMP)

$(STAMP):
	@scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Each benchmark prints its ratio against a baseline measured in the same run (docs/performance.md).
bench: install
	$(BIN)/python bench/locate.py
	$(BIN)/python bench/network.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/cases.py
	$(BIN)/python bench/healthcheck_coverage.py
	$(BIN)/python bench/charging.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var
