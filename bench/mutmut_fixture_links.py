"""A pytest plugin for bench/mutation.py: link each test to the code its shared fixtures reach.

mutmut runs, per mutant, only the tests it saw reach the mutated function, and it sees that by
recording which functions run between one test's start and its teardown. A fixture of module (or
session) scope runs once, inside the first test that asks for it; every later test in the module
reads the cached value and so looks as if it reached none of that code. Tests that check
properties over a shared set of decided cases (tests/unit/test_plan.py and the like) were thus
never run against the mutants they would catch, and counted their survivors.

This plugin records the functions each fixture's setup reached and, at every test's teardown
(before mutmut's own collector reads them), adds the hits of every fixture the test uses. It
reads mutmut's in-process state (mutmut 3.8), and does nothing outside a mutmut stats run.
"""

from __future__ import annotations

import pytest

try:  # only present when mutmut drives the tests
    from mutmut.state import state as _mutmut_state
except Exception:  # pragma: no cover - mutmut absent or laid out differently
    _mutmut_state = None

#: id(FixtureDef) -> the mutated functions its last setup reached.
_hits: dict[int, set[str]] = {}


def _stats() -> set[str] | None:
    if _mutmut_state is None:
        return None
    got = getattr(_mutmut_state(), "_stats", None)
    return got if isinstance(got, set) else None


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    stats = _stats()
    if stats is None:
        yield
        return
    before = set(stats)
    stats.clear()
    try:
        yield
    finally:
        _hits[id(fixturedef)] = set(stats)
        stats |= before


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    stats = _stats()
    if stats is None:
        return
    info = getattr(item, "_fixtureinfo", None)
    for defs in (getattr(info, "name2fixturedefs", None) or {}).values():
        for d in defs:
            stats |= _hits.get(id(d), set())
