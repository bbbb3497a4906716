"""Benchmarks for the non-functional targets: aggregation speed, submissions, exports and the live server under load."""
