"""Backtests: the model's answers about a past episode against what was observed, with error
figures beside those of naive forecasts (`scores.py`)."""
