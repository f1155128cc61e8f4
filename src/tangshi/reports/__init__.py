"""What the runs say: the report's tables and plots, the studies as DVC experiments, the benchmark.

Imports any layer below it; nothing below imports it.
"""
