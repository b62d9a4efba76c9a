"""Fixtures for the triage tests: paths and the manifest of planted problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TRIAGE = Path(__file__).resolve().parent.parent / "data" / "triage"
LOGS = TRIAGE / "logs"
DATASETS = TRIAGE / "datasets"
BROKEN = TRIAGE / "broken"
PROBES = TRIAGE / "probes"


@pytest.fixture(scope="session")
def manifest() -> dict:
    """Line numbers and values the fixture generator planted (not computed by the code under test)."""
    return json.loads((TRIAGE / "manifest.json").read_text())


@pytest.fixture(scope="session")
def thresholds():
    from advisor.core.triage.runbook import load_runbook

    return load_runbook().thresholds
