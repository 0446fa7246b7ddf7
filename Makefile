# Two commands for a fresh machine with Python 3.11+ and make:
#   make demo   installs, migrates, loads the demo data into SQLite, serves on 127.0.0.1:$(PORT)
#               (PORT=8080 make demo: labels and links then name port 8080 too)
#   make test   installs and runs the whole suite with ruff and mypy
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
# The address the demo's labels, QR codes and links name: where `make demo` serves, unless set.
PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
BIN := $(VENV)/bin
MO := registry/translations/vi/LC_MESSAGES/messages.mo

.PHONY: install demo test lint translations extract clean cluster bench bench-mrv bench-labels bench-reports bench-page bench-trace bench-qr

install: $(VENV)/.installed $(MO)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

$(MO): registry/translations/vi/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel --quiet compile -d registry/translations

demo: install
	$(BIN)/registry migrate
	$(BIN)/registry keys generate
	PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' $(BIN)/registry demo
	# exec: the server takes the shell's place, so a signal to the recipe's process reaches it
	PORT=$(PORT) PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' exec $(BIN)/registry run --host 127.0.0.1 --port $(PORT)

test: install lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Refresh the catalogue after adding user-facing strings, then translate the new entries.
extract: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		--project "Low-Emission Label Registry" -o registry/translations/messages.pot .
	$(BIN)/pybabel --quiet update --no-fuzzy-matching -i registry/translations/messages.pot \
		-d registry/translations

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

# Several processes at once (cluster/README.md): two gunicorn servers and two job workers on
# PostgreSQL (database registry_cluster, rebuilt) and Redis, the whole chain driven through
# both servers, a worker killed mid-job; then nothing may be lost or done twice.
# CLUSTER_ARGS="--chains 2 --threads 2" make cluster: a smaller run.
cluster: install
	$(BIN)/python -m cluster.run $(CLUSTER_ARGS)

# Transparency-log benchmark on PostgreSQL (BENCH_DATABASE_URL; its schema is rebuilt).
bench: install
	$(BIN)/python bench/ledger_bench.py

# MRV benchmark: calculator, results from diaries, province reports (BENCH_DATABASE_URL,
# default database registry_bench_mrv; its schema is rebuilt).
bench-mrv: install
	$(BIN)/python bench/mrv_bench.py

# Labels benchmark: unit serials issued per second, a 1,000-label print sheet, the status
# API under gunicorn against a bare Flask hello (BENCH_DATABASE_URL, default database
# registry_bench_labels; its schema is rebuilt). Needs wrk (apt-get install wrk).
bench-labels: install
	$(BIN)/python bench/labels_bench.py

# Reports benchmark: the dashboard over 1 M season results (BENCH_DATABASE_URL, default
# database registry_bench_reports; its schema is rebuilt).
bench-reports: install
	$(BIN)/python bench/reports_bench.py

# Label page benchmark: 1 M labels, server time p50/p95 and page weight (BENCH_DATABASE_URL,
# default database registry_bench_page; its schema is rebuilt).
bench-page: install
	$(BIN)/python bench/label_page_bench.py

# Traceability benchmark: a batch's ancestors and EPCIS export at 10, 100 and 1,000
# ancestors (BENCH_DATABASE_URL, default database registry_bench_trace; its schema is rebuilt).
bench-trace: install
	$(BIN)/python bench/trace_bench.py

# QR encoders side by side on label URLs: the registry's own against zxing-cpp (no database).
bench-qr: install
	$(BIN)/python bench/qr_bench.py
