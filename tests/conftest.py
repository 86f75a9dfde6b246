"""Shared fixtures: one Temporal test server for the session, and a scenario
builder that speaks in commands a caseworker would give."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SAMSKAB_LOG_FORMAT", "console")
