"""Benchmarks: run each module with `python -m bench.<name>`; figures go to BENCHMARKS.md."""
