"""Helpers of the benchmarks in ``bench/``."""
