"""Muse's benchmarks: `python bench/run.py` runs every figure; each fig_*.py runs alone."""
