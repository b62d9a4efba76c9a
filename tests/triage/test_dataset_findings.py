"""What each dataset finding reports, and the small structures the checks are built on.

``test_boundaries.py`` pins when each dataset finding fires; these pin what it then says
(where, the lines it lists and the "and N more" beyond them, every evidence field, the
sentence) from datasets written here with the problem planted at known lines. The hashing,
sketch and LSH pieces are checked against their definitions: exact Jaccard of small sets,
the Misra-Gries guarantee, a brute-force search for rows sharing a band.
"""

from __future__ import annotations

import hashlib
import json
import zlib

import numpy as np
import pytest

from advisor.core.triage import data

from .test_boundaries import _chat, _unique, _write


def findings(tmp_path, train=None, evals=None, th=None):
    from advisor.core.triage.runbook import load_runbook

    th = th or load_runbook().thresholds
    t = _write(tmp_path / "t.jsonl", train) if train is not None else None
    e = _write(tmp_path / "e.jsonl", evals) if evals is not None else None
    return data.check_datasets(t, e, th)


def one(found, fid):
    got = [f for f in found if f.id == fid]
    assert len(got) == 1, [f.id for f in found]
    return got[0]


def unique(n, start=0):
    return [_chat(*_unique(start + i)) for i in range(n)]


def _pref(q, chosen, rejected):
    return json.dumps({"prompt": q, "chosen": chosen, "rejected": rejected})


# --------------------------------------------------------------------------- empty and placeholder outputs
def test_placeholders_are_found_whatever_their_case_spacing_or_full_stop(tmp_path):
    q = [_unique(900 + i)[0] for i in range(7)]
    outs = ["", "TODO", " n/a. ", "...", "Answer.", "todo" + " " * 50, "None of the above"]
    rows = unique(200) + [_chat(qq, o) for qq, o in zip(q, outs)]
    f = one(findings(tmp_path, rows)[0], "empty_output")
    # lines 201..206 are placeholders; "None of the above" (line 207) is an answer
    assert f.evidence["lines"] == [201, 202, 203, 204, 205, 206]
    assert f.evidence["values"] == ["", "TODO", " n/a. ", "...", "Answer.", "todo" + " " * 36]  # 40 characters
    assert f.where.endswith("t.jsonl:201")
    assert f.detail == ("6 of 207 examples have an empty or placeholder output (lines 201, 202, 203, 204, 205, 206): "
                        "the model learns to answer with nothing.")


def test_empty_outputs_past_ten_are_counted_and_said(tmp_path):
    rows = unique(300) + [_chat(_unique(900 + i)[0], "") for i in range(12)]
    f = one(findings(tmp_path, rows)[0], "empty_output")
    assert f.evidence["count"] == 12 and f.evidence["lines"] == list(range(301, 311))
    assert "(lines 301, 302, 303, 304, 305, 306, 307, 308, 309, 310 and 2 more)" in f.detail


# --------------------------------------------------------------------------- preference pairs with one answer
def test_chosen_equal_to_rejected_lists_its_lines_and_counts_past_ten(tmp_path):
    rows = [_pref(*_unique(i), _unique(500 + i)[1]) for i in range(200)]
    rows += [_pref(_unique(900 + i)[0], "Same Answer", " same   answer ") for i in range(12)]
    f = one(findings(tmp_path, rows)[0], "chosen_equals_rejected")
    assert f.evidence == {"count": 12, "lines": list(range(201, 211))}
    assert f.where.endswith("t.jsonl:201")
    assert f.detail == ("12 preference pairs have the same chosen and rejected answer (lines 201, 202, 203, 204, 205, "
                        "206, 207, 208, 209, 210 and 2 more): they carry no preference signal.")


# --------------------------------------------------------------------------- duplicates and conflicts
def test_exact_duplicates_name_each_copy_and_its_first_line(tmp_path):
    rows = unique(200)
    rows += [_chat(_unique(i)[0].upper(), "  " + _unique(i)[1]) for i in range(13)]  # lines 201..213 repeat 1..13
    found, stats = findings(tmp_path, rows)
    f = one(found, "exact_duplicate")
    assert f.evidence == {"count": 13, "pairs": [(201 + i, 1 + i) for i in range(10)]}
    assert f.where.endswith("t.jsonl:201")
    assert f.detail == ("13 examples repeat an earlier one exactly (ignoring case and spacing): lines 201=1, 202=2, "
                        "203=3, 204=4, 205=5, 206=6, 207=7, 208=8, 209=9, 210=10 and 3 more. Repeats are trained on "
                        "several times per epoch.")
    assert stats["train"]["exact_duplicates"] == 13


def test_conflicts_list_five_in_the_sentence_and_ten_in_the_evidence(tmp_path):
    rows = unique(400)
    rows += [_chat(_unique(i)[0], _unique(700 + i)[1]) for i in range(12)]  # lines 401..412 contradict 1..12
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    why = "same input, different output"
    assert f.evidence == {"count": 12, "pairs": [[401 + i, 1 + i, why] for i in range(10)]}
    assert f.where.endswith("t.jsonl:401")
    assert f.severity == "error"  # 12 of 412 is past 2%
    listed = ", ".join(f"{401 + i} vs {1 + i} ({why})" for i in range(5))
    assert f.detail == (f"12 examples contradict an earlier one: lines {listed} and 7 more. The model is taught two "
                        "answers for one question.")


def test_a_preference_pair_ranked_both_ways_is_a_conflict(tmp_path):
    rows = [_pref(*_unique(i), _unique(500 + i)[1]) for i in range(200)]
    q, a = _unique(3)
    rows.append(_pref(q, _unique(503)[1], a))  # line 201: line 4 with the answers swapped
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    assert f.evidence["pairs"] == [[201, 4, "the same two answers ranked both ways"]]


def test_conflicts_are_listed_in_file_order_whatever_kind_found_them(tmp_path):
    rows = [_pref(*_unique(i), _unique(500 + i)[1]) for i in range(200)]
    rows.append(_pref(_unique(5)[0], _unique(800)[1], _unique(801)[1]))  # 201: input of 6, other answers: not a conflict
    q, a = _unique(3)
    rows.append(_pref(q, _unique(503)[1], a))  # 202: 4 reversed
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    assert [p[0] for p in f.evidence["pairs"]] == [202]


def _near(i, word, n=40):
    return " ".join(f"w{i}x{j}" for j in range(n)) + f" {word}"  # two of these share n of n + 2 bigrams


def test_near_duplicates_report_the_pair_and_its_similarity(tmp_path):
    rows = unique(200)
    for i in range(3):
        rows.append(_chat(_near(i, "alpha"), f"answer {_near(i, 'one')}"))
        rows.append(_chat(_near(i, "beta"), f"answer {_near(i, 'one')}"))  # one word changed in 42
    found, stats = findings(tmp_path, rows)
    f = one(found, "near_duplicate")
    pairs = f.evidence["pairs"]
    assert [(a, b) for a, b, _ in pairs] == [(202, 201), (204, 203), (206, 205)]
    assert all(0.8 <= j < 1.0 for _, _, j in pairs)
    assert f.where.endswith("t.jsonl:202")
    assert f.detail.startswith("3 examples nearly repeat an earlier one (MinHash Jaccard >= 0.8 on word bigrams): "
                               f"lines 202~201 ({pairs[0][2]}), 204~203 ({pairs[1][2]})")
    assert stats["train"]["near_duplicates"] == 3 and stats["train"]["conflicts"] == 0


def test_a_near_identical_input_with_another_answer_is_a_conflict(tmp_path):
    rows = unique(200)
    rows.append(_chat(_near(1, "alpha"), "the answer is yes, because of the first rule"))
    rows.append(_chat(_near(1, "beta"), "it depends entirely on the season and the weather"))
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    (later, earlier, why), = f.evidence["pairs"]
    assert (later, earlier) == (202, 201)
    assert why.startswith("near-identical input (similarity 0.9") and why.endswith("), different output")


# --------------------------------------------------------------------------- one style
def _styled(n_same, n_other, same="sure here is the answer", pos="open"):
    rows = []
    for i in range(n_same + n_other):
        body = " ".join(f"b{i}w{j}" for j in range(6))
        lead = same if i < n_same else f"o{i} p{i} q{i} r{i}"
        rows.append(_chat(_unique(i)[0], f"{lead} {body}" if pos == "open" else f"{body} {lead}"))
    return rows


def test_single_style_needs_twenty_outputs_of_four_words(tmp_path):
    assert "single_style" not in [f.id for f in findings(tmp_path, _styled(19, 0))[0]]
    f = one(findings(tmp_path, _styled(20, 0))[0], "single_style")
    assert f.evidence == {"share": 1.0, "words": "sure here is the", "position": "open", "count": 20}


def test_half_the_outputs_opening_alike_is_one_style(tmp_path):
    f = one(findings(tmp_path, _styled(10, 10))[0], "single_style")
    assert f.evidence == {"share": 0.5, "words": "sure here is the", "position": "open", "count": 10}
    assert f.where.endswith("t.jsonl:1")
    assert f.detail == ("50% of outputs open with the same words ('sure here is the', first at line 1): one template "
                        "or one writer's style; the model will copy the style rather than learn the task.")
    assert "single_style" not in [x.id for x in findings(tmp_path, _styled(9, 11))[0]]


def test_a_shared_closing_is_one_style_too(tmp_path):
    f = one(findings(tmp_path, _styled(11, 10, same="hope this helps you", pos="close"))[0], "single_style")
    assert (f.evidence["position"], f.evidence["words"], f.evidence["share"]) == ("close", "hope this helps you", 0.524)
    assert f.detail.startswith("52% of outputs close with the same words ('hope this helps you', first at line 1)")


# --------------------------------------------------------------------------- system prompts
def _with_system(i, system):
    msgs = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": _unique(i)[0]}, {"role": "assistant", "content": _unique(i)[1]}]
    return json.dumps({"messages": msgs})


def test_system_prompt_variants_are_described_most_common_first(tmp_path):
    long = "You are a careful support agent for ACME. Answer in English."
    rows = [_with_system(i, "Be brief.") for i in range(60)] + [_with_system(60 + i, long) for i in range(30)]
    rows += [_with_system(90 + i, None) for i in range(9)] + [_with_system(99, "Other."), _with_system(100, "Fifth.")]
    found, stats = findings(tmp_path, rows)
    f = one(found, "inconsistent_system_prompt")
    assert f.evidence == {"variants": 5, "top_share": round(60 / 101, 3)}
    assert f.where.endswith("t.jsonl:61")  # where the second most common first appears
    assert f.severity == "warning"
    assert f.detail == ("5 different system prompts: 60 x 'Be brief.' (first at line 1); "
                        f"30 x {long[:40]!r} (first at line 61); 9 x no system prompt (first at line 91); "
                        "1 x 'Other.' (first at line 100). Train with the exact system prompt production uses.")
    assert stats["train"]["system_prompts"] == 5


@pytest.mark.parametrize("n_main, severity", [(245, "info"), (244, "warning")])
def test_many_rare_system_prompts_beside_one_of_98_percent_are_a_note(n_main, severity, tmp_path):
    rows = [_with_system(i, "Main.") for i in range(n_main)] + [_with_system(400 + i, f"Rare {i}.") for i in range(5)]
    f = one(findings(tmp_path, rows)[0], "inconsistent_system_prompt")
    assert f.evidence["variants"] == 6 and f.severity == severity  # 245 of 250 is exactly 98%


def test_one_system_prompt_is_consistent(tmp_path):
    rows = [_with_system(i, "Be brief.") for i in range(30)]
    assert "inconsistent_system_prompt" not in [f.id for f in findings(tmp_path, rows)[0]]


# --------------------------------------------------------------------------- token statistics
def test_token_estimates_are_characters_over_four_rounded_up(tmp_path):
    rows = [json.dumps({"prompt": "p" * (4 * i - 3), "completion": "c" * (8 * i)}) for i in range(1, 21)]
    found, stats = findings(tmp_path, rows)
    tin = stats["train"]["input_tokens"]
    # inputs of 1, 5, 9, ... characters: 1, 2, 3, ... 20 tokens; numpy's p95 of 1..20 is 19.05
    assert tin == {"min": 1, "median": 10, "p95": 19, "max": 20, "mean": 10.5}
    tout = stats["train"]["output_tokens"]
    assert tout == {"min": 2, "median": 21, "p95": 38, "max": 40, "mean": 21.0}
    f = one(found, "token_length_stats")
    assert f.detail == ("20 prompt_completion examples; estimated tokens (chars/4) input median 10, p95 19, max 20; "
                        "output median 21, p95 38, max 40.")


def test_token_means_keep_one_place(tmp_path):
    rows = [json.dumps({"prompt": "p" * n, "completion": "c"}) for n in (4, 4, 8)]  # 1, 1, 2 tokens
    assert findings(tmp_path, rows)[1]["train"]["input_tokens"]["mean"] == 1.3


# --------------------------------------------------------------------------- eval: size and leakage
def test_leakage_names_its_examples_and_share(tmp_path):
    train = unique(300)
    evals = unique(96, start=1000) + [_chat(*_unique(i)) for i in (3, 7)]
    evals += [_chat(_near(5, "alpha"), "x y z"), _chat(_near(6, "alpha"), "x y z")]
    train += [_chat(_near(5, "beta"), "a b c"), _chat(_near(6, "beta"), "a b c")]  # lines 301, 302
    found, stats = findings(tmp_path, train, evals)
    f = one(found, "train_eval_leakage")
    ex = f.evidence["examples"]
    assert [(e["eval_line"], e["train_line"], e["kind"]) for e in ex] == [
        (97, 4, "exact"), (98, 8, "exact"), (99, 301, "near"), (100, 302, "near")]
    assert [e["similarity"] for e in ex[:2]] == [1.0, 1.0] and 0.8 <= ex[2]["similarity"] < 1.0
    assert (f.evidence["exact"], f.evidence["near"], f.evidence["eval_examples"]) == (2, 2, 100)
    assert f.where.endswith("e.jsonl:97")
    assert f.detail == (f"4 of 100 eval examples (4.0%) also appear in the training set: 2 exact, 2 near (MinHash "
                        f"Jaccard >= 0.8); e.g. eval 97 ~ train 4, eval 98 ~ train 8, eval 99 ~ train 301 "
                        f"({ex[2]['similarity']}), eval 100 ~ train 302 ({ex[3]['similarity']}). Eval scores on them "
                        "measure memory, not generalisation.")
    assert stats["eval"]["leakage"] == {"exact": 2, "near": 2}


def test_eval_too_small_says_how_many_it_has(tmp_path):
    f = one(findings(tmp_path, None, unique(12))[0], "eval_too_small")
    assert f.evidence == {"examples": 12, "minimum": 50}
    assert f.detail.startswith("Only 12 eval examples (fewer than 50): a regression of a few points is inside the "
                               "sampling noise")


def test_text_data_leaks_by_its_text(tmp_path):
    train = [json.dumps({"text": " ".join(_unique(i))}) for i in range(200)]
    evals = [json.dumps({"text": " ".join(_unique(1000 + i))}) for i in range(59)] + [train[9]]
    f = one(findings(tmp_path, train, evals)[0], "train_eval_leakage")
    assert [(e["eval_line"], e["train_line"], e["kind"]) for e in f.evidence["examples"]] == [(60, 10, "exact")]


# --------------------------------------------------------------------------- the pieces underneath
def test_bottom_k_jaccard_is_exact_for_sets_smaller_than_the_sketch():
    k = data.OUT_PERM

    def sk(values):
        return data._bottom_k(np.array(sorted(values), dtype=np.uint64), k)

    assert data._bottom_k_jaccard(sk({1, 2, 3}), sk({2, 3, 4})) == 0.5
    assert data._bottom_k_jaccard(sk({1, 2, 3}), sk({1, 2, 3})) == 1.0
    assert data._bottom_k_jaccard(sk({1}), sk({2})) == 0.0
    assert data._bottom_k_jaccard(sk(set()), sk(set())) == 1.0  # two empty outputs are the same
    assert data._bottom_k_jaccard(sk(set()), sk({5})) == 0.0
    assert data._bottom_k_jaccard(sk({5}), sk(set())) == 0.0
    assert data._bottom_k_jaccard(sk(set(range(10))), sk(set(range(5, 20)))) == 5 / 20


def test_bottom_k_jaccard_estimates_from_the_union_smallest_k():
    k = data.OUT_PERM
    a = data._bottom_k(np.arange(0, 2 * k, 2, dtype=np.uint64), k)  # evens below 2k
    b = data._bottom_k(np.arange(0, 3 * k, 3, dtype=np.uint64), k)  # multiples of 3 below 3k
    union = sorted(set(a.tolist()) | set(b.tolist()))[:k]
    both = set(a.tolist()) & set(b.tolist())
    assert data._bottom_k_jaccard(a, b) == sum(v in both for v in union) / k


def test_bottom_k_pads_with_the_largest_32_bit_value():
    got = data._bottom_k(np.array([3, 9], dtype=np.uint64), 4)
    assert got.dtype == np.uint32 and got.tolist() == [3, 9, 0xFFFFFFFF, 0xFFFFFFFF]


def test_shingles_are_crc32_word_bigrams():
    def crc(w):
        return zlib.crc32(w.encode())

    assert data._Signer.shingles(["one"]).tolist() == [crc("one")]
    expected = sorted({((crc(a) * 0x9E3779B1) ^ crc(b)) & 0xFFFFFFFF for a, b in [("a", "b"), ("b", "c"), ("c", "a")]})
    assert data._Signer.shingles(["a", "b", "c", "a"]).tolist() == expected
    assert data._Signer.shingles(["a", "b"]).tolist() != data._Signer.shingles(["b", "a"]).tolist()
    assert data._Signer.shingles([]).tolist() == []


def test_keys_hash_each_part_separately():
    h = hashlib.blake2b(digest_size=8)
    for p in ("ab", "c"):
        h.update(p.encode())
        h.update(b"\x00")
    assert data._key("ab", "c") == h.digest()
    assert data._key("ab", "c") != data._key("a", "bc")
    assert data._key64("x") == int.from_bytes(data._key("x"), "little")
    assert data._key("\ud800") != data._key("?")  # a lone surrogate (from JSON \ud800) is hashed, not an error


def test_heavy_hitters_keep_every_key_above_one_in_k_plus_one():
    hv = data._Heavy(3)
    stream = ["a"] * 30 + ["b"] * 26 + [f"x{i}" for i in range(40)] + ["c"] * 26  # a, b, c each over 1/4 of 122
    for w in stream:
        hv.add(hash(w), w)
    assert {hv.text(hash(w)) for w in "abc"} == {"a", "b", "c"}
    assert hv.text(hash("x0")) is None
    one_key = data._Heavy(2)
    for _ in range(5):
        one_key.add(1, "same")
    assert one_key.slots == {1: [5, "same"]}
    dec = data._Heavy(1)
    dec.add(1, "a")
    dec.add(1, "a")
    dec.add(2, "b")  # no room: every count drops by one, none reaches zero
    assert dec.slots == {1: [1, "a"]}
    dec.add(3, "c")
    assert dec.slots == {}


def test_rows_grow_past_their_first_block_and_keep_order():
    rows = data._Rows(3)
    idx = [rows.add(np.array([i, i + 1, i + 2], dtype=np.uint32)) for i in range(2500)]
    assert idx == list(range(2500))
    got = rows.done()
    assert got.shape == (2500, 3) and got.dtype == np.uint32
    assert got[0].tolist() == [0, 1, 2] and got[2499].tolist() == [2499, 2500, 2501]


def test_bands_find_exactly_the_earlier_rows_that_share_a_band():
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(60, 8), dtype=np.uint64).astype(np.uint32)
    ranges = [(0, 4), (4, 8)]
    sigs[10, 0:4] = sigs[2, 0:4]  # 10 shares band 0 with 2
    sigs[20, 4:8] = sigs[2, 4:8]  # 20 shares band 1 with 2
    sigs[30, 0:4] = sigs[10, 0:4]  # 30 shares band 0 with 2 and 10
    rows = np.arange(60)
    bands = data._Bands(sigs, rows, ranges)

    def brute(k):
        return [j for j in range(k) if any((sigs[j, lo:hi] == sigs[k, lo:hi]).all() for lo, hi in ranges)]

    assert bands.earlier().tolist() == [k for k in range(60) if brute(k)] == [10, 20, 30]
    for k in (10, 20, 30, 5):
        assert bands.before(k, 50) == brute(k)
    assert bands.before(30, 1) == [2]
    # a signature from outside the set: the rows sharing a band with it, in Python integers as in numpy
    probe = sigs[2].copy()
    probe[4:8] = 7
    assert bands.query(probe, 50) == [2, 10, 30]
    assert bands.query(probe, 2) == [2, 10]
    assert data._Bands(sigs, np.arange(0), ranges).earlier().tolist() == []


# --------------------------------------------------------------------------- near matches: which kind, which partner
def test_text_data_has_near_duplicates_by_its_text(tmp_path):
    rows = [json.dumps({"text": " ".join(_unique(i))}) for i in range(200)]
    rows += [json.dumps({"text": _near(1, "alpha")}), json.dumps({"text": _near(1, "beta")})]
    found, stats = findings(tmp_path, rows)
    (later, earlier, j), = one(found, "near_duplicate").evidence["pairs"]
    assert (later, earlier) == (202, 201) and j >= 0.8
    assert stats["train"]["conflicts"] == 0  # text has no input to contradict


def test_preference_rows_sharing_a_prompt_are_not_conflicts(tmp_path):
    rows = [_pref(*_unique(i), _unique(500 + i)[1]) for i in range(200)]
    rows.append(_pref(_near(1, "alpha"), "first chosen answer here", "first rejected answer here"))
    rows.append(_pref(_near(1, "beta"), "another chosen reply entirely", "another rejected reply entirely"))
    assert "conflicting_labels" not in [f.id for f in findings(tmp_path, rows)[0]]


def test_an_exact_input_conflict_is_not_counted_again_as_a_near_one(tmp_path):
    rows = unique(200)
    rows.append(_chat(_near(1, "alpha"), "yes it is allowed under the first rule"))
    rows.append(_chat(_near(1, "alpha"), "no it is forbidden in every season"))
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    assert f.evidence == {"count": 1, "pairs": [[202, 201, "same input, different output"]]}


def test_near_conflicts_are_counted_past_the_listed_ones(tmp_path):
    rows = unique(300)
    for i in range(35):
        rows.append(_chat(_near(i, "alpha", 150), f"yes allowed because rule {i} of the first book"))
        rows.append(_chat(_near(i, "beta", 150), f"never in season {i} whatever the weather says"))
    f = one(findings(tmp_path, rows)[0], "conflicting_labels")
    assert f.evidence["count"] == 35
    assert [p[:2] for p in f.evidence["pairs"]] == [[302 + 2 * i, 301 + 2 * i] for i in range(10)]
    assert all(p[2].startswith("near-identical input") for p in f.evidence["pairs"])


def test_near_duplicates_are_counted_past_the_ten_listed(tmp_path):
    rows = unique(300)
    for i in range(12):
        rows.append(_chat(_near(i, "alpha", 150), f"answer {_near(i, 'one')}"))
        rows.append(_chat(_near(i, "beta", 150), f"answer {_near(i, 'one')}"))
    f = one(findings(tmp_path, rows)[0], "near_duplicate")
    assert f.evidence["count"] == 12 and len(f.evidence["pairs"]) == 10
    assert f.detail.split(": lines ")[1].endswith(" and 2 more.")


def test_a_near_leak_names_the_most_similar_training_example(tmp_path):
    base = [f"t{j}" for j in range(40)]
    far = " ".join(base[:-3] + ["x1", "x2", "x3"])  # three of forty words changed
    close = " ".join(base[:-1] + ["x9"])  # one changed
    train = unique(200) + [_chat(far, "a b c"), _chat(close, "a b c")]  # lines 201, 202
    evals = unique(59, start=1000) + [_chat(" ".join(base), "d e f")]
    ex = one(findings(tmp_path, train, evals)[0], "train_eval_leakage").evidence["examples"]
    assert [(e["eval_line"], e["train_line"], e["kind"]) for e in ex] == [(60, 202, "near")]


# --------------------------------------------------------------------------- the file as a whole
def test_train_and_eval_findings_come_back_together_and_eval_alone_has_no_leakage(tmp_path):
    found, stats = findings(tmp_path, unique(30), unique(12, start=1000))
    assert {f.id for f in found} >= {"too_few_examples", "eval_too_small"}
    assert stats["train"]["path"].endswith("t.jsonl") and stats["eval"]["path"].endswith("e.jsonl")
    assert stats["train"]["records"] == 30
    found, stats = findings(tmp_path, None, unique(12, start=1000))
    assert stats["eval"]["leakage"] is None  # nothing to leak from: not "0 leaks"
    f = one(found, "eval_too_small")
    assert f.where.endswith("e.jsonl") and ":" not in f.where.rsplit("/", 1)[-1]


def test_too_few_examples_says_so_with_its_minimum(tmp_path):
    f = one(findings(tmp_path, unique(120))[0], "too_few_examples")
    assert f.evidence == {"examples": 120, "minimum": 200}
    assert f.detail == ("120 training examples (fewer than 200): too few for the model to learn the task rather than "
                        "memorise the examples.")


def test_errors_past_the_ten_listed_are_one_more_finding(tmp_path):
    rows = unique(200) + ['{"messages": "x"}'] * 13
    found, _ = findings(tmp_path, rows)
    errs = [f for f in found if f.id == "format_error"]
    assert len(errs) == 11
    assert errs[0].evidence == {"line": 201, "format": "chat"} and errs[0].where.endswith("t.jsonl:201")
    more = errs[-1]
    assert (more.severity, more.evidence) == ("error", {"count": 13, "records": 213})
    assert more.where.endswith("t.jsonl")
    assert more.detail == "3 more malformed examples (13 of 213 records in all)"


def test_token_length_stats_carry_their_figures(tmp_path):
    rows = [json.dumps({"prompt": "p" * 8, "completion": "c" * 4})] * 3
    f = one(findings(tmp_path, rows)[0], "token_length_stats")
    assert f.evidence["examples"] == 3
    assert f.evidence["input_tokens"]["max"] == 2 and f.evidence["output_tokens"]["max"] == 1


def test_the_leak_share_is_given_to_one_place(tmp_path):
    train = unique(300)
    evals = unique(53, start=1000) + [_chat(*_unique(i)) for i in range(7)]  # 7 of 60: 11.7%
    f = one(findings(tmp_path, train, evals)[0], "train_eval_leakage")
    assert f.detail.startswith("7 of 60 eval examples (11.7%) also appear in the training set: 7 exact, 0 near")
    assert f.detail.count(" ~ train ") == 5  # five examples named in the sentence, ten in the evidence


def test_one_more_beyond_the_listed_is_said():
    assert data._lines(["1", "2"], 1) == "1, 2 and 1 more"
    assert data._lines(["1", "2"], 0) == "1, 2"


def test_two_system_prompts_are_already_inconsistent(tmp_path):
    rows = [_with_system(i, "A.") for i in range(20)] + [_with_system(20, "B.")]
    f = one(findings(tmp_path, rows)[0], "inconsistent_system_prompt")
    assert f.evidence["variants"] == 2 and f.where.endswith("t.jsonl:21")


def test_five_variants_stay_a_warning_whatever_the_top_share(tmp_path):
    rows = [_with_system(i, "Main.") for i in range(246)] + [_with_system(400 + i, f"Rare {i}.") for i in range(4)]
    f = one(findings(tmp_path, rows)[0], "inconsistent_system_prompt")
    assert (f.evidence["variants"], f.severity) == (5, "warning")  # 246 of 250 is over 98%, but five is few


# --------------------------------------------------------------------------- reading the file
def test_a_file_that_is_not_utf8_names_the_byte_and_the_file(tmp_path):
    from advisor.errors import UserError

    p = tmp_path / "d.jsonl"
    p.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(UserError) as e:
        list(data.iter_records(str(p)))
    assert e.value.message == "not UTF-8 text (byte 28)" and e.value.file == str(p)  # 15 + 13 bytes before it


def test_an_empty_file_is_a_user_error_naming_it(tmp_path):
    from advisor.errors import UserError

    p = tmp_path / "t.jsonl"
    p.write_text("\n\n")
    with pytest.raises(UserError) as e:
        findings(tmp_path, ["", ""])
    assert e.value.file == str(p)
    assert e.value.message == "no examples in this file: expected JSONL (one JSON object a line) or a JSON array"


def test_a_json_array_after_blank_lines_is_read_as_an_array_with_its_lines(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('\n\n  [\n  {"text": "a"},\n  {"text": "b"}\n]\n')
    assert [(ln, obj) for ln, obj, _ in data.iter_records(str(p))] == [(4, {"text": "a"}), (5, {"text": "b"})]


def test_an_array_that_is_never_closed_or_breaks_off_says_so(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('[\n{"text": "a"},\n{"text": "b"}\n')
    *_, (line, obj, err) = data.iter_records(str(p))
    assert obj is None and err == "not valid JSON (the array is not closed with ']')"
    p.write_text('[\n{"text": "a"},\n{"text": b}\n]\n')
    got = list(data.iter_records(str(p)))
    assert got[0] == (2, {"text": "a"}, None)
    line, obj, err = got[1]
    assert (line, obj) == (3, None)
    assert err.startswith("not valid JSON (") and err.endswith("); the rest of the array was not read")
    assert "malformed JSON" not in err and " at column " in err


def test_progress_is_told_every_2000_lines_and_the_rest_at_the_end(tmp_path):
    p = tmp_path / "d.jsonl"
    line = '{"text": "abc"}\n'
    p.write_text(line * 4500)
    calls = []
    assert len(list(data.iter_records(str(p), calls.append))) == 4500
    assert calls == [2000 * len(line), 2000 * len(line), 500 * len(line)]


@pytest.mark.parametrize("spec, message", [
    ("prompt=q,completion=", "--fields: expected ROLE=KEY pairs separated by commas (got 'completion=')"),
    ("prompt=q,answer=a", "--fields: unknown role 'answer'; expected one of: prompt, completion, system, rejected"),
    ("system=s", "--fields: missing prompt and completion (e.g. --fields prompt=question,completion=answer)"),
])
def test_fields_spec_errors_say_what_is_expected(spec, message):
    from advisor.errors import UserError

    with pytest.raises(UserError) as e:
        data.parse_fields(spec)
    assert e.value.message == message


def test_a_fields_key_may_itself_hold_an_equals_sign():
    assert data.parse_fields("prompt=q=1, completion = a") == {"prompt": "q=1", "completion": "a"}


@pytest.mark.parametrize("obj, expect", [
    ({"contents": [{"role": "model", "parts": [{"text": "y"}]}], "systemInstruction": "just a string"},
     ("", "y", None, None)),
    ({"contents": [{"role": "model", "parts": [{"text": "y"}]}],
      "systemInstruction": {"parts": [{"text": "S"}, {"inline_data": {}}]}}, ("", "y", "S ", None)),
    ({"input": {"messages": [{"role": "developer", "content": "D"}, {"role": "system", "content": "S"},
                             {"role": "user", "content": "Q"}, {"role": "user", "content": "Q2"}]},
      "preferred_output": [{"role": "assistant", "content": "A"}],
      "non_preferred_output": [{"role": "assistant", "content": "B"}]}, ("user: Q\nuser: Q2", "A", "D\nS", "B")),
    ({"chosen": [{"role": "developer", "content": "D"}, {"role": "user", "content": "Q"},
                 {"role": "assistant", "content": "A"}],
      "rejected": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "B"}]},
     ("user: Q", "A", None, "B")),
])
def test_system_parts_of_gemini_dpo_and_implicit_preference_rows(obj, expect):
    ex = data._extract(obj, data._detect(obj), 1)
    assert (ex.input, ex.output, ex.system, ex.rejected) == expect


# --------------------------------------------------------------------------- pairs: mixed kinds, key order, wordless rows
def test_fields_mixing_preference_and_plain_rows_report_both_kinds_of_conflict(tmp_path):
    fields = {"prompt": "q", "completion": "a", "rejected": "r"}
    rows = [json.dumps({"q": q, "a": a}) for q, a in (_unique(i) for i in range(200))]
    rows.append(json.dumps({"q": "pick one", "a": "left", "r": "right"}))   # 201
    rows.append(json.dumps({"q": "pick one", "a": "right", "r": "left"}))   # 202: 201 ranked the other way
    rows.append(json.dumps({"q": _unique(4)[0], "a": "a different answer"}))  # 203: contradicts 5
    from advisor.core.triage.runbook import load_runbook

    p = _write(tmp_path / "t.jsonl", rows)
    found, stats = data.check_datasets(p, None, load_runbook().thresholds, None, fields)
    f = one(found, "conflicting_labels")
    assert f.evidence["pairs"] == [[202, 201, "the same two answers ranked both ways"],
                                   [203, 5, "same input, different output"]]
    assert f.evidence["count"] == 2


def test_a_reversed_pair_is_found_whichever_way_its_keys_sort(tmp_path):
    for last in (True, False):
        # two rows only: the reversed pair's key is the larger or the smaller of the two
        i = next(i for i in range(200) if (data._key64(f"q{i}", "b", "a") > data._key64(f"q{i}", "a", "b")) is last)
        rows = [_pref(f"q{i}", "a", "b"), _pref(f"q{i}", "b", "a")]
        f = one(findings(tmp_path, rows)[0], "conflicting_labels")
        assert f.evidence["pairs"] == [[2, 1, "the same two answers ranked both ways"]]


def test_a_copy_of_a_reversed_pair_is_a_duplicate_not_a_second_conflict(tmp_path):
    rows = [_pref(*_unique(i), _unique(500 + i)[1]) for i in range(200)]
    q, a = _unique(3)
    rows += [_pref(q, _unique(503)[1], a)] * 2  # 201 reverses 4; 202 repeats 201
    found, _ = findings(tmp_path, rows)
    assert one(found, "conflicting_labels").evidence["count"] == 1
    assert one(found, "exact_duplicate").evidence["pairs"] == [(202, 201)]


def test_outputs_without_words_are_read_and_never_near_anything(tmp_path):
    rows = [json.dumps({"text": " ".join(_unique(i))}) for i in range(200)]
    rows[100:100] = [json.dumps({"text": t}) for t in ("!!!", "???", "...")]  # lines 101..103: no words
    found, stats = findings(tmp_path, rows)
    assert stats["train"]["examples"] == 203
    assert "near_duplicate" not in [f.id for f in found]


def test_four_word_outputs_have_a_style(tmp_path):
    rows = [_chat(_unique(i)[0], "i cannot help that") for i in range(20)]
    assert one(findings(tmp_path, rows)[0], "single_style").evidence["count"] == 20


def test_a_near_duplicate_names_its_closest_earlier_example(tmp_path):
    base = [f"t{j}" for j in range(40)]
    far = " ".join(base[:-3] + ["x1", "x2", "x3"])
    close = " ".join(base[:-1] + ["x9"])
    rows = unique(200) + [_chat(far, "same reply"), _chat(close, "same reply"), _chat(" ".join(base), "same reply")]
    pairs = one(findings(tmp_path, rows)[0], "near_duplicate").evidence["pairs"]
    assert [p[:2] for p in pairs if p[0] == 203] == [[203, 202]]
    assert all(round(p[2], 2) == p[2] for p in pairs)  # similarities to two places


def test_an_eval_example_with_a_training_input_leaks_whatever_its_answer(tmp_path):
    train = unique(200)
    evals = unique(59, start=1000) + [_chat(_unique(8)[0], "a new answer to an old question")]
    ex = one(findings(tmp_path, train, evals)[0], "train_eval_leakage").evidence["examples"]
    assert ex == [{"eval_line": 60, "train_line": 9, "kind": "exact", "similarity": 1.0}]


def test_a_loosely_similar_eval_example_is_not_a_leak(tmp_path):
    base = [f"t{j}" for j in range(40)]
    train = unique(200) + [_chat(" ".join(base), "reply")]
    half = " ".join(base[:20] + [f"y{j}" for j in range(20)])  # half the words changed
    evals = unique(59, start=1000) + [_chat(half, "reply")]
    assert "train_eval_leakage" not in [f.id for f in findings(tmp_path, train, evals)[0]]


def test_leak_examples_are_kept_up_to_ten(tmp_path):
    train = unique(300)
    evals = unique(87, start=1000) + [_chat(*_unique(i)) for i in range(13)]
    f = one(findings(tmp_path, train, evals)[0], "train_eval_leakage")
    assert len(f.evidence["examples"]) == 10 and f.evidence["exact"] == 13


def test_the_stats_count_empty_outputs_and_p95_is_the_95th_percentile(tmp_path):
    rows = [json.dumps({"prompt": "p" * (400 if i >= 95 else 4), "completion": "" if i < 3 else "c"})
            for i in range(100)]
    stats = findings(tmp_path, rows)[1]["train"]
    assert stats["empty_outputs"] == 3
    # 95 inputs of 1 token, 5 of 100: numpy's linear p95 sits 5% of the way into the top group
    assert stats["input_tokens"]["p95"] == int(1 + 0.05 * 99)


# --------------------------------------------------------------------------- edges the third mutation run found
def test_a_dataset_past_its_size_limit_names_the_limit_for_datasets(tmp_path, monkeypatch):
    from advisor.core import io
    from advisor.errors import UserError

    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "abc"}\n' * 100)  # 1600 bytes
    monkeypatch.setitem(io.LIMITS, "dataset", 1000)
    with pytest.raises(UserError) as e:
        list(data.iter_records(str(p)))
    assert e.value.message == "larger than the 1000 bytes limit for a dataset (docs/limits.md)"
    assert e.value.file == str(p)


def test_progress_is_never_told_of_nothing_and_covers_a_json_array(tmp_path):
    p = tmp_path / "d.jsonl"
    line = '{"text": "abc"}\n'
    p.write_text(line * 2000)  # the last call falls on the last line: nothing is left to tell at the end
    calls = []
    list(data.iter_records(str(p), calls.append))
    assert calls == [2000 * len(line)]
    a = tmp_path / "d.json"
    text = "[\n" + ",\n".join(json.dumps({"text": f"row {i}"}) for i in range(5)) + "\n]\n"
    a.write_text(text)
    calls = []
    assert len(list(data.iter_records(str(a), calls.append))) == 5
    assert sum(calls) == len(text) and all(calls)


def test_a_near_duplicate_names_its_closest_earlier_example_when_the_closest_comes_first(tmp_path):
    base = [f"t{j}" for j in range(40)]
    close = " ".join(base[:-1] + ["x9"])
    far = " ".join(base[:-3] + ["x1", "x2", "x3"])
    rows = unique(200) + [_chat(close, "same reply"), _chat(far, "same reply"), _chat(" ".join(base), "same reply")]
    pairs = one(findings(tmp_path, rows)[0], "near_duplicate").evidence["pairs"]
    assert [p[:2] for p in pairs if p[0] == 203] == [[203, 201]]


# Three words of forty changed (positions 6, 33 and 39): a MinHash similarity of about 0.70 to the
# forty words, below the 0.8 bar, yet one of the five LSH bands agrees on all its rows, so the pair is
# looked at and must be turned down (found by a search over changed positions; asserted below).
_BASE = [f"t{j}" for j in range(40)]
_LOOSE = " ".join(f"y{j}" if j in (6, 33, 39) else w for j, w in enumerate(_BASE))
_CLOSE = " ".join(_BASE[:-1] + ["x9"])  # one word of forty changed


def _texts(*texts, start=0):
    """Text-format rows (the signature is taken over the text itself): 200 unrelated ones, then ``texts``."""
    return [json.dumps({"text": " ".join(_unique(start + i))}) for i in range(200)] + [json.dumps({"text": t}) for t in texts]


@pytest.fixture(scope="module")
def checker():
    """A checker with the runbook's thresholds, for its signer, its band layout and its bars."""
    from advisor.core.triage.runbook import load_runbook

    return data.DatasetChecker(load_runbook().thresholds)


def _signature(checker, words):
    sg = checker.signer
    return sg.sign(sg.shingles(words)).hashvalues.astype(np.uint32)


def _shares_a_band(checker, text):
    """Whether ``text`` shares an LSH band with the forty words, and its MinHash similarity to them."""
    hv, base = _signature(checker, text.split()), _signature(checker, _BASE)
    share = any((hv[lo:hi] == base[lo:hi]).all() for lo, hi in checker.ranges)
    return share, np.count_nonzero(hv == base) / data.NUM_PERM


def test_a_pair_sharing_a_band_below_the_bar_is_passed_over_for_the_next_candidate(tmp_path, checker):
    share, j = _shares_a_band(checker, _LOOSE)
    assert share and j < checker.th.near_duplicate_jaccard  # the precondition: a band candidate that fails the bar
    rows = _texts(_LOOSE, _CLOSE, " ".join(_BASE))
    pairs = one(findings(tmp_path, rows)[0], "near_duplicate").evidence["pairs"]
    assert [p[:2] for p in pairs] == [[203, 202]]  # 201 is looked at first, turned down, and 202 still found
    # and an example whose every candidate is turned down does not end the search for the ones after it
    rows = _texts(" ".join(_BASE), _LOOSE, _CLOSE)
    pairs = one(findings(tmp_path, rows)[0], "near_duplicate").evidence["pairs"]
    assert [p[:2] for p in pairs] == [[203, 201]]


def test_an_eval_example_sharing_a_band_below_the_bar_is_not_a_leak(tmp_path, checker):
    share, j = _shares_a_band(checker, _LOOSE)
    assert share and j < checker.th.near_duplicate_jaccard
    train = _texts(_LOOSE)
    evals = _texts(" ".join(_BASE), start=1000)
    assert "train_eval_leakage" not in [f.id for f in findings(tmp_path, train, evals)[0]]


def test_a_training_set_of_one_example_is_searched_for_near_leaks_and_similarities_keep_two_places(tmp_path, checker):
    _, raw = _shares_a_band(checker, _CLOSE)
    assert 0.8 <= raw < 1 and round(raw, 2) != raw  # three places would show more
    train = [json.dumps({"text": " ".join(_BASE)})]
    evals = _texts(_CLOSE, start=1000)[141:]  # 59 unrelated, then the close one
    (ex,) = one(findings(tmp_path, train, evals)[0], "train_eval_leakage").evidence["examples"]
    assert ex == {"eval_line": 60, "train_line": 1, "kind": "near", "similarity": round(raw, 2)}


def test_a_text_leak_found_by_the_whole_example_has_similarity_one(tmp_path):
    train = [json.dumps({"text": " ".join(_unique(i))}) for i in range(200)]
    evals = [json.dumps({"text": " ".join(_unique(1000 + i))}) for i in range(59)] + [train[9]]
    (ex,) = one(findings(tmp_path, train, evals)[0], "train_eval_leakage").evidence["examples"]
    assert ex == {"eval_line": 60, "train_line": 10, "kind": "exact", "similarity": 1.0}


def test_text_data_is_compared_once_by_its_minhash_not_again_by_the_output_sketch(tmp_path, checker):
    """Text data has no input: the text is signed once, and its MinHash similarity decides. Here the
    32-value output sketch of the same two texts would say 0.78, under the bar (asserted below)."""
    two_off = " ".join(f"y{j}" if j in (5, 36) else w for j, w in enumerate(_BASE))
    _, j = _shares_a_band(checker, two_off)
    sketch = data._bottom_k_jaccard(*(data._bottom_k(checker.signer.shingles(w), data.OUT_PERM)
                                      for w in (two_off.split(), _BASE)))
    assert sketch < 0.8 <= j
    (pair,) = one(findings(tmp_path, _texts(" ".join(_BASE), two_off))[0], "near_duplicate").evidence["pairs"]
    assert pair == [202, 201, round(j, 2)]


# Outputs of a few words are smaller than the bottom-k sketch, so their similarity is exact:
# "a b c d" and "a b c e" share 2 of 4 word bigrams (0.5); "p q r s t" and "p q r s t u" 4 of 5 (0.8).
def test_outputs_exactly_half_alike_are_not_a_conflict(tmp_path):
    rows = unique(200) + [_chat(_near(1, "alpha"), "a b c d"), _chat(_near(1, "beta"), "a b c e")]
    found, stats = findings(tmp_path, rows)
    assert stats["train"]["conflicts"] == 0 and stats["train"]["near_duplicates"] == 0
    rows[-1] = _chat(_near(1, "beta"), "a b e f")  # 1 of 5: below half, a conflict
    assert findings(tmp_path, rows)[1]["train"]["conflicts"] == 1


def test_outputs_alike_exactly_at_the_bar_are_a_near_duplicate(tmp_path):
    rows = unique(200) + [_chat(_near(1, "alpha"), "p q r s t"), _chat(_near(1, "beta"), "p q r s t u")]
    found, stats = findings(tmp_path, rows)
    assert stats["train"]["near_duplicates"] == 1 and stats["train"]["conflicts"] == 0
    (pair,) = one(found, "near_duplicate").evidence["pairs"]
    assert pair[:2] == [202, 201] and pair[2] == 0.8
