"""Fixtures for the Textual app tests: a temporary data folder and an app factory."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest

from advisor.core.knowledge import cached_knowledge

TODAY = _dt.date(2026, 3, 14)


@pytest.fixture
def kb():
    return cached_knowledge()


@pytest.fixture
def session_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sessions go to a temporary folder, never the real user data dir."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def make_app(kb, session_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build the app as the CLI does, with the knowledge base preloaded and the date pinned."""
    from advisor.tui.app import create_app

    monkeypatch.chdir(tmp_path)

    def factory(**kwargs):
        kwargs.setdefault("data_dir", session_dir)
        kwargs.setdefault("kb", kb)
        kwargs.setdefault("today", TODAY)
        return create_app(**kwargs)

    return factory
