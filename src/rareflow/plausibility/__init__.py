"""Plausibility report: the baseline's figures beside sourced ranges (`rareflow check-model`)."""

from rareflow.plausibility.indicators import evaluate

__all__ = ["evaluate"]
