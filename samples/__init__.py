"""Sample files for tests and benchmarks (see make_samples.py)."""
