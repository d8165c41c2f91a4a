.DEFAULT_GOAL := help
VENV := .venv
m ?= change

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

run: ## start caseapp (web + worker + beat) on the embedded default; prints the URL and demo logins
	@scripts/run

test: ## install what is needed, lint, and run the whole test suite on throwaway PostgreSQL + Redis
	@scripts/test

lint: ## ruff check, ruff format --check, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

fmt: ## format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migration: ## autogenerate a migration: make migration m="add callbacks" (then read and edit it)
	$(VENV)/bin/caseapp db migrate -m "$(m)"

bench: ## run the report benchmarks (see bench/README.md)
	@scripts/bench

bench-callbacks: ## 10,000 callbacks due at once through a real worker and beat (see bench/README.md)
	@scripts/bench callbacks

bench-calls: ## logging a call: wrk on gunicorn against pgbench (B1), log_call() against raw psycopg (B4)
	@scripts/bench calls

bench-pages: ## the advisor pages at 300,000 callers and 1M calls: p50/p95 and statements (see bench/README.md)
	@scripts/bench pages

bench-writes: ## write cost of the indexes and report triggers, and the reports under a write load (see bench/README.md)
	@scripts/bench writes

.PHONY: help run test lint fmt migration bench bench-callbacks bench-calls bench-pages bench-writes
