.PHONY: run test lint

run:  ## set up and run web, worker, beat and redis with demo data
	scripts/run

test:  ## set up and run the whole test suite
	scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

