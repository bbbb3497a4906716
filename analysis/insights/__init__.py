"""Insights built on the suppressed results: coherence, split opinions, blind spots, ambition, priorities and written findings."""
