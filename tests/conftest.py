"""Shared fixtures: one Temporal test server for the session, and a scenario
builder that speaks in commands a caseworker would give."""

from __future__ import annotations

import os

os.environ.setdefault("SAMSKAB_LOG_FORMAT", "console")
# The time-skipping test server's clock runs weeks ahead of the wall clock a
# front door signs commands with, so a signed command's lifetime (5 minutes in
# production) is a year here. The expiry itself is tested against this setting
# (tests/workflows/test_issuer_attacks.py).
os.environ.setdefault("SAMSKAB_COMMAND_MAX_AGE", "P365D")
# Tests never run in production mode unless they say so.
os.environ.pop("SAMSKAB_ENV", None)
os.environ.pop("SAMSKAB_TEMPORAL_ADDRESS", None)
