"""Coherence insights from dimension ratings: blind spots (meta-perception), the ambition gap, and the priority matrix.

Each statistic has its own module (`blind_spots`, `ambition`, `priorities`); all of them read the rating cube
of `ratings`, which aggregates in DuckDB and carries its own audited verdicts.
"""
