"""Benchmarks for issue 9: `python -m bench` (or `make bench`).

Importing this package has no side effects: the workflow sandbox may import
bench modules, so everything heavy happens inside functions.
"""
