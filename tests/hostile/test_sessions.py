"""Autosaved sessions edited by hand, truncated, from another version or planted: read back as one clear
message (the sessions list shows it and opens nothing), never a crash; a sane one still resumes.

Generated like the rest of the corpus: the JSON oddities, then every answers field with a bad value.
"""

from __future__ import annotations

import json

import pytest

from advisor.interview.session import FORMAT, VERSION, SessionError, SessionStore
from tests.hostile.corpus import JSON_ODDITIES, NOT_UTF8


def session_json(**over) -> dict:
    data = {"format": FORMAT, "version": VERSION, "id": "x", "created": "", "updated": "", "position": None,
            "visited": [], "finished": False, "answers": {"task": {"description": "Route tickets"}}}
    data.update(over)
    return data


def _bad_sessions():
    for oid, text, _ in JSON_ODDITIES:
        yield f"json/{oid}", text.encode()
    yield "not_utf8", NOT_UTF8
    yield "nan", json.dumps(session_json(answers={"data": {"synthetic_share": float("nan")}})).encode()
    yield "other_format", json.dumps(session_json(format="something-else")).encode()
    yield "other_version", json.dumps(session_json(version=99)).encode()
    yield "visited_not_list", json.dumps(session_json(visited="task.type")).encode()
    yield "position_number", json.dumps(session_json(position=3)).encode()
    yield "answers_list", json.dumps(session_json(answers=[1])).encode()
    yield "description_3000", json.dumps(session_json(answers={"task": {"description": "x" * 3000}})).encode()
    yield "description_40MB", json.dumps(session_json(answers={"task": {"description": "x" * 40_000_000}})).encode()
    from advisor.core.answers import Answers

    for section, info in Answers.model_fields.items():
        for field in info.annotation.model_fields:
            yield f"answers/{section}.{field}", json.dumps(session_json(answers={section: {field: [[1]]}})).encode()
        yield f"answers/{section}/unknown", json.dumps(session_json(answers={section: {"zzz": 1}})).encode()


BAD = list(_bad_sessions())


@pytest.mark.parametrize("content", [c for _, c in BAD], ids=[i for i, _ in BAD])
def test_a_bad_session_is_one_clear_message(tmp_path, content):
    store = SessionStore(tmp_path)
    store.folder.mkdir(parents=True)
    path = store.folder / "session-bad.json"
    path.write_bytes(content)
    with pytest.raises(SessionError) as e:
        store.load(path)
    assert e.value.file == str(path)
    assert len(str(e.value)) < 600, "the message stays short whatever the file holds"
    [(p, s, err)] = store.list()  # the sessions list shows it with its reason, and opens nothing
    assert p == path and s is None and err


def test_a_sane_session_still_loads(tmp_path):
    store = SessionStore(tmp_path)
    store.folder.mkdir(parents=True)
    path = store.folder / "session-ok.json"
    path.write_text(json.dumps(session_json()))
    assert store.load(path).description == "Route tickets"


def test_special_files_in_the_sessions_folder(tmp_path):
    import os

    store = SessionStore(tmp_path)
    store.folder.mkdir(parents=True)
    os.mkfifo(store.folder / "session-fifo.json")
    (store.folder / "session-dir.json").mkdir()
    os.symlink("/dev/zero", store.folder / "session-zero.json")
    # the list skips what is not a file, or shows why it cannot be read; it never blocks or fills memory
    for p, s, err in store.list():
        assert s is None and err
