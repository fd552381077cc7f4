"""`python -m rareflow.ensemble ensemble|sensitivity|discover ...` (the same commands as
`rareflow ensemble`, `rareflow sensitivity` and `rareflow discover`)."""

from rareflow.cli.ensemble import ensemble_app

if __name__ == "__main__":
    ensemble_app()
