"""Where the shared, read-only reference files are: ``../shared`` beside the project root.

- ``kl-ffb-reporting-1.0.0/``: KL's FFB reporting guide, release 1.0.0 (its README says what is there);
- ``terminology/``: KL's official code lists (FHIR CodeSystem files)."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT.parent / "shared"
GUIDE = SHARED / "kl-ffb-reporting-1.0.0"
TERMINOLOGY = SHARED / "terminology"
