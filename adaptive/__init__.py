"""Adaptive sweeps: the `[search]` plan of a grid spec and the rules that prune runs at their decision epochs.

A leaf beside `core`: pure functions and frozen records, no database and no training; the worker calls the
rules with the results the store holds, and records the decisions.
"""

from adaptive.order import shuffled, spec_seed
from adaptive.plan import METRICS, STRATEGIES, SearchPlan, parse_search
from adaptive.rules import Decision, asha_decision, median_decision

__all__ = [
    "METRICS",
    "STRATEGIES",
    "Decision",
    "SearchPlan",
    "asha_decision",
    "median_decision",
    "parse_search",
    "shuffled",
    "spec_seed",
]
