"""Benchmarks of nianbao against baselines measured in the same run (``python -m bench``)."""
