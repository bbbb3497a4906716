"""Collecting answers: the instrument, campaigns, respondents, invites and storage."""
