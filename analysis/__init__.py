"""Explaining answers: scores, gaps, anonymity, charts and exports (reads what survey/ collects)."""
