"""Dataset checks against the problems the fixture generator planted (tests/data/triage/manifest.json)."""

from __future__ import annotations

import json

import pytest

from advisor.core.triage.data import check_datasets, iter_records
from advisor.errors import UserError
from tests.triage.conftest import BROKEN, DATASETS


def _by_id(findings, fid):
    return [f for f in findings if f.id == fid]


@pytest.fixture(scope="module")
def chat_run(thresholds):
    return check_datasets(str(DATASETS / "train_chat.jsonl"), str(DATASETS / "eval_chat.jsonl"), thresholds)


def test_chat_format_and_counts(chat_run, manifest):
    findings, stats = chat_run
    m = manifest["datasets"]["train_chat"]
    assert stats["train"]["format"] == "chat"
    assert stats["train"]["examples"] == m["valid_examples"]
    assert stats["eval"]["examples"] == manifest["datasets"]["eval_chat"]["examples"]


def test_format_errors_have_line_numbers_and_exact_messages(chat_run, manifest):
    findings, _ = chat_run
    planted = manifest["datasets"]["train_chat"]["format_error"]
    got = {f.evidence["line"]: f.detail for f in _by_id(findings, "format_error")}
    assert {str(k) for k in got} == set(planted)
    for line, msg in planted.items():
        assert got[int(line)] == msg
    assert all(f.where == f"{DATASETS / 'train_chat.jsonl'}:{f.evidence['line']}" for f in _by_id(findings, "format_error"))


def test_exact_duplicates(chat_run, manifest):
    f = _by_id(chat_run[0], "exact_duplicate")[0]
    assert sorted(map(list, f.evidence["pairs"])) == sorted(manifest["datasets"]["train_chat"]["exact_duplicate"])


def test_near_duplicates(chat_run, manifest):
    f = _by_id(chat_run[0], "near_duplicate")[0]
    assert sorted([p[0], p[1]] for p in f.evidence["pairs"]) == sorted(manifest["datasets"]["train_chat"]["near_duplicate"])


def test_conflicting_labels(chat_run, manifest):
    f = _by_id(chat_run[0], "conflicting_labels")[0]
    assert sorted([p[0], p[1]] for p in f.evidence["pairs"]) == sorted(manifest["datasets"]["train_chat"]["conflict"])


def test_empty_and_placeholder_outputs(chat_run, manifest):
    f = _by_id(chat_run[0], "empty_output")[0]
    assert f.evidence["lines"] == manifest["datasets"]["train_chat"]["empty_output"]


def test_inconsistent_system_prompt(chat_run, manifest):
    f = _by_id(chat_run[0], "inconsistent_system_prompt")[0]
    assert f.where.endswith(f":{manifest['datasets']['train_chat']['no_system_prompt'][0]}")
    assert f"{len(manifest['datasets']['train_chat']['no_system_prompt'])} x no system prompt" in f.detail


def test_train_eval_leakage_exact_and_near(chat_run, manifest):
    m = manifest["datasets"]["eval_chat"]
    f = _by_id(chat_run[0], "train_eval_leakage")[0]
    assert f.evidence["exact"] == len(m["exact"]) and f.evidence["near"] == len(m["near"])
    pairs = {(e["eval_line"], e["train_line"], e["kind"]) for e in f.evidence["examples"]}
    assert pairs == {(a, b, "exact") for a, b in m["exact"]} | {(a, b, "near") for a, b in m["near"]}


def test_no_false_duplicates_in_clean_fresh_tickets(chat_run, manifest):
    # Every near/exact/conflict pair reported is one the generator planted: nothing else.
    m = manifest["datasets"]["train_chat"]
    planted = {a for a, _ in m["exact_duplicate"] + m["near_duplicate"] + m["conflict"]}
    reported = set()
    for fid in ("exact_duplicate", "near_duplicate", "conflicting_labels"):
        for f in _by_id(chat_run[0], fid):
            reported |= {p[0] for p in f.evidence["pairs"]}
    assert reported == planted


def test_small_alpaca_json_array_single_style(thresholds, manifest):
    findings, stats = check_datasets(str(DATASETS / "small_alpaca.json"), None, thresholds)
    assert stats["train"]["format"] == "alpaca" and stats["train"]["examples"] == manifest["datasets"]["small_alpaca"]["examples"]
    few = _by_id(findings, "too_few_examples")[0]
    assert few.severity == "error" and few.evidence["examples"] == 40
    style = _by_id(findings, "single_style")[0]
    assert style.evidence["words"] == manifest["datasets"]["small_alpaca"]["style_words"]
    assert style.evidence["share"] == 1.0
    assert style.where == f"{DATASETS / 'small_alpaca.json'}:2"  # first element of the pretty-printed array


def test_json_array_under_a_jsonl_name(thresholds):
    findings, stats = check_datasets(str(DATASETS / "array_named.jsonl"), None, thresholds)
    assert stats["train"]["format"] == "alpaca" and stats["train"]["examples"] == 12
    assert not _by_id(findings, "format_error")


def test_array_element_lines():
    lines = [ln for ln, _, _ in iter_records(str(DATASETS / "small_alpaca.json"))]
    text = (DATASETS / "small_alpaca.json").read_text().split("\n")
    assert all(text[ln - 1].strip() == "{" for ln in lines) and len(lines) == 40


def test_prompt_completion(thresholds):
    findings, stats = check_datasets(str(DATASETS / "prompt_completion.jsonl"), None, thresholds)
    assert stats["train"]["format"] == "prompt_completion" and stats["train"]["examples"] == 30


def test_trl_preference(thresholds, manifest):
    m = manifest["datasets"]["preference"]
    findings, stats = check_datasets(str(DATASETS / "preference.jsonl"), None, thresholds)
    assert stats["train"]["format"] == "preference"
    assert _by_id(findings, "chosen_equals_rejected")[0].evidence["lines"] == [m["same_pair_line"]]
    assert [[p[0], p[1]] for p in _by_id(findings, "conflicting_labels")[0].evidence["pairs"]] == [m["reversed"]]


def test_openai_dpo(thresholds, manifest):
    m = manifest["datasets"]["openai_dpo"]
    findings, stats = check_datasets(str(DATASETS / "openai_dpo.jsonl"), None, thresholds)
    assert stats["train"]["format"] == "openai_dpo" and stats["train"]["examples"] == m["examples"]
    assert _by_id(findings, "empty_output")[0].evidence["lines"] == [m["empty_line"]]


def test_eval_too_small(thresholds):
    findings, _ = check_datasets(None, str(DATASETS / "prompt_completion.jsonl"), thresholds)
    assert _by_id(findings, "eval_too_small")[0].evidence["examples"] == 30
    assert not _by_id(findings, "train_eval_leakage")


def test_no_usable_example_is_a_user_error(thresholds):
    with pytest.raises(UserError) as e:
        check_datasets(str(BROKEN / "all_bad.jsonl"), None, thresholds)
    assert str(e.value).startswith(f"{BROKEN / 'all_bad.jsonl'}:1: no usable example in this file; first problem: "
                                   "unrecognised example: expected the keys of one of messages (chat)")


def test_missing_and_empty_dataset(thresholds, tmp_path):
    with pytest.raises(UserError) as e:
        check_datasets(str(tmp_path / "none.jsonl"), None, thresholds)
    assert str(e.value) == f"{tmp_path / 'none.jsonl'}: file not found"
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(UserError) as e:
        check_datasets(str(tmp_path / "empty.jsonl"), None, thresholds)
    assert "no examples in this file" in str(e.value)


def test_unclosed_array_and_bad_element(thresholds, tmp_path):
    p = tmp_path / "cut.json"
    items = [{"prompt": f"question {i} about order {i * 7}", "completion": f"answer {i}"} for i in range(3)]
    p.write_text(json.dumps(items, indent=2)[:-2])
    findings, stats = check_datasets(str(p), None, thresholds)
    assert stats["train"]["examples"] == 3
    assert _by_id(findings, "format_error")[0].detail == "not valid JSON (the array is not closed with ']')"


def test_chat_edge_cases(thresholds, tmp_path):
    rows = [
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi there friend"}]},
                      {"role": "assistant", "content": "hello, how can I help you today?"}]},
        {"messages": [{"role": "user", "content": "what is up"}, {"role": "assistant", "content": "all good"},
                      {"role": "user", "content": "thanks"}]},
        {"messages": "oops"},
        {"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "x"}]},
    ]
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    findings, stats = check_datasets(str(p), None, thresholds)
    errs = {f.evidence["line"]: f.detail for f in _by_id(findings, "format_error")}
    assert errs == {
        2: "the last message is from 'user': the example must end with the assistant's reply",
        3: "'messages' must be a non-empty list of messages",
        4: "messages[0].content must be a string (got int)",
    }
    assert stats["train"]["examples"] == 1


def test_token_length_stats_from_the_fixture_text(thresholds):
    # Expected from the file itself: estimated tokens are ceil(characters / 4) of each output.
    rows = json.loads((DATASETS / "small_alpaca.json").read_text())
    est = sorted(-(-len(r["output"]) // 4) for r in rows)
    findings, stats = check_datasets(str(DATASETS / "small_alpaca.json"), None, thresholds)
    out = stats["train"]["output_tokens"]
    assert (out["min"], out["max"]) == (est[0], est[-1])
    assert out["median"] == int((est[len(est) // 2 - 1] + est[len(est) // 2]) / 2)
    f = _by_id(findings, "token_length_stats")[0]
    assert f.severity == "info" and f"max {est[-1]}." in f.detail


class _Recorder:
    """A Progress that keeps what it was told (the CLI's bar and the TUI's status implement the same three calls)."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int, int]] = []

    def start(self, total: int, description: str = "") -> None:
        self.phases.append((description, total, 0))

    def update(self, n: int = 1) -> None:
        d, t, done = self.phases[-1]
        self.phases[-1] = (d, t, done + n)

    def complete(self) -> None:
        pass


def test_progress_counts_every_character_of_each_file(thresholds):
    rec = _Recorder()
    train, evl = DATASETS / "train_chat.jsonl", DATASETS / "eval_chat.jsonl"
    check_datasets(str(train), str(evl), thresholds, progress=rec)
    assert [p[0] for p in rec.phases] == ["checking the train set train_chat.jsonl", "checking the eval set eval_chat.jsonl"]
    for (_, total, done), path in zip(rec.phases, (train, evl)):
        assert total == path.stat().st_size
        assert done == len(path.read_text(encoding="utf-8"))


def test_a_byte_order_mark_is_not_a_format_error(thresholds, tmp_path):
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"prompt": "Where is my order 1?", "completion": "On its way."}\n' * 3)
    findings, stats = check_datasets(str(p), None, thresholds)
    assert stats["train"]["format"] == "prompt_completion" and stats["train"]["format_errors"] == 0
