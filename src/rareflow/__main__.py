"""`python -m rareflow ...`: the same command line as `rareflow ...`."""

from rareflow.cli import main

main()
