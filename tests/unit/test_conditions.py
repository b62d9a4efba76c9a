"""The condition language on its own: every operator, unknowns (three-valued logic), nesting, shape errors.

Expectations come from the language's definition in the module docstring and
the knowledge files: a comparison on an unanswered key is neither true nor
false (``None``), ``all``/``any``/``not`` follow Kleene's three-valued logic,
and a rule fires only on ``True``.
"""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from advisor.core.conditions import Cond


def c(spec) -> Cond:
    """A condition as the knowledge files write it (YAML text or a mapping)."""
    return Cond.model_validate(yaml.safe_load(spec) if isinstance(spec, str) else spec)


UNKNOWNS = [{}, {"k": None}, {"k": "unknown"}]  # never asked, asked and skipped, answered "unknown"


# -- comparisons on a known answer ------------------------------------------------

@pytest.mark.parametrize("spec,value,expected", [
    ("{key: k, eq: rag}", "rag", True),
    ("{key: k, eq: rag}", "rags", False),
    ("{key: k, eq: true}", True, True),
    ("{key: k, eq: true}", False, False),
    ("{key: k, eq: false}", False, True),  # false is a value to compare with, not "no comparison"
    ("{key: k, eq: 0}", 0, True),
    ("{key: k, eq: 0}", 1, False),
    ("{key: k, ne: rag}", "tools", True),
    ("{key: k, ne: rag}", "rag", False),
    ("{key: k, ne: false}", False, False),
    ("{key: k, ne: false}", True, True),
    ("{key: k, in: [a, b]}", "a", True),
    ("{key: k, in: [a, b]}", "b", True),
    ("{key: k, in: [a, b]}", "c", False),
    ("{key: k, in: []}", "a", False),
    ("{key: k, not_in: [a, b]}", "c", True),
    ("{key: k, not_in: [a, b]}", "b", False),
    ("{key: k, not_in: []}", "a", True),
])
def test_equality_and_membership(spec, value, expected):
    assert c(spec).evaluate({"k": value}) is expected


@pytest.mark.parametrize("op,limit,below,at,above", [
    # value just below the limit, at it, just above it
    ("lt", 200, True, False, False),
    ("lte", 200, True, True, False),
    ("gt", 200, False, False, True),
    ("gte", 200, False, True, True),
])
def test_numeric_comparisons_at_their_boundary(op, limit, below, at, above):
    cond = c({"key": "data.examples", op: limit})
    assert cond.evaluate({"data.examples": limit - 1}) is below
    assert cond.evaluate({"data.examples": limit}) is at
    assert cond.evaluate({"data.examples": limit + 1}) is above
    # fractions sit on the right side of the limit too
    assert cond.evaluate({"data.examples": limit - 0.5}) is below
    assert cond.evaluate({"data.examples": limit + 0.5}) is above


def test_numeric_comparisons_read_numbers_written_as_text():
    assert c("{key: k, lt: 10}").evaluate({"k": "9.5"}) is True
    assert c("{key: k, gte: 10}").evaluate({"k": "10"}) is True
    assert c("{key: k, gt: 0.1}").evaluate({"k": 0.05}) is False


@pytest.mark.parametrize("op", ["lt", "lte", "gt", "gte"])
def test_a_known_answer_that_is_not_a_number_satisfies_no_numeric_comparison(op):
    # known, so not None: the answer is there, it just is not below/above anything
    assert c({"key": "k", op: 5}).evaluate({"k": "lots"}) is False
    assert c({"key": "k", op: 5}).evaluate({"k": [1, 2]}) is False


# -- unknown answers ---------------------------------------------------------------

@pytest.mark.parametrize("facts", UNKNOWNS)
@pytest.mark.parametrize("spec", [
    "{key: k, eq: rag}", "{key: k, ne: rag}", "{key: k, in: [a]}", "{key: k, not_in: [a]}",
    "{key: k, lt: 1}", "{key: k, lte: 1}", "{key: k, gt: 1}", "{key: k, gte: 1}",
])
def test_every_comparison_on_an_unknown_answer_is_undecided(spec, facts):
    # neither true nor false: an unknown never counts as a favourable (or unfavourable) answer
    assert c(spec).evaluate(facts) is None


@pytest.mark.parametrize("facts", UNKNOWNS)
def test_known_asks_whether_the_key_is_answered(facts):
    assert c("{key: k, known: true}").evaluate(facts) is False
    assert c("{key: k, known: false}").evaluate(facts) is True


@pytest.mark.parametrize("value", ["rag", 0, False, "", 0.0])
def test_falsy_answers_are_still_answers(value):
    assert c("{key: k, known: true}").evaluate({"k": value}) is True
    assert c("{key: k, known: false}").evaluate({"k": value}) is False
    assert c("{key: k, ne: something_else}").evaluate({"k": value}) is True


def test_only_the_condition_key_is_read():
    cond = c("{key: a.b, eq: x}")
    assert cond.evaluate({"a.b": "x", "a": "y", "b": "z"}) is True
    assert cond.evaluate({"a": "x", "b": "x"}) is None


# -- combinations: Kleene's three-valued and/or/not --------------------------------

T = "{key: t, eq: 1}"  # evaluates True on FACTS
F = "{key: f, eq: 1}"  # False
U = "{key: u, eq: 1}"  # None (u is unanswered)
FACTS = {"t": 1, "f": 0}
TRUTH = {"T": T, "F": F, "U": U}
VALUE = {"T": True, "F": False, "U": None}


def combo(op: str, *parts: str) -> Cond:
    return c({op: [yaml.safe_load(TRUTH[p]) for p in parts]})


@pytest.mark.parametrize("parts,expected", [
    ("TT", True), ("TF", False), ("FT", False), ("FF", False),
    ("TU", None), ("UT", None), ("UU", None),
    ("FU", False), ("UF", False),  # one false settles an 'all', whatever is unknown
    ("T", True), ("F", False), ("U", None),
    ("TTU", None), ("TUF", False),
])
def test_all_is_three_valued_and(parts, expected):
    assert combo("all", *parts).evaluate(FACTS) is expected


@pytest.mark.parametrize("parts,expected", [
    ("TT", True), ("TF", True), ("FT", True), ("FF", False),
    ("TU", True), ("UT", True),  # one true settles an 'any', whatever is unknown
    ("FU", None), ("UF", None), ("UU", None),
    ("T", True), ("F", False), ("U", None),
    ("FFU", None), ("FUT", True),
])
def test_any_is_three_valued_or(parts, expected):
    assert combo("any", *parts).evaluate(FACTS) is expected


def test_empty_all_holds_and_empty_any_does_not():
    assert c({"all": []}).evaluate({}) is True
    assert c({"any": []}).evaluate({}) is False


@pytest.mark.parametrize("part,expected", [("T", False), ("F", True), ("U", None)])
def test_not_flips_known_results_and_keeps_unknown(part, expected):
    assert c({"not": yaml.safe_load(TRUTH[part])}).evaluate(FACTS) is expected


def test_double_negation_and_de_morgan_hold_in_three_values():
    for a in "TFU":
        for b in "TFU":
            A, B = yaml.safe_load(TRUTH[a]), yaml.safe_load(TRUTH[b])
            not_and = c({"not": {"all": [A, B]}}).evaluate(FACTS)
            or_not = c({"any": [{"not": A}, {"not": B}]}).evaluate(FACTS)
            assert not_and is or_not, (a, b)
            not_or = c({"not": {"any": [A, B]}}).evaluate(FACTS)
            and_not = c({"all": [{"not": A}, {"not": B}]}).evaluate(FACTS)
            assert not_or is and_not, (a, b)
        assert c({"not": {"not": yaml.safe_load(TRUTH[a])}}).evaluate(FACTS) is VALUE[a]


def test_nesting_as_the_knowledge_files_write_it():
    cond = c("""
    all:
      - {key: data.examples, lt: 200}
      - not: {key: data.quality, eq: clean}
      - any:
          - {key: failure.main_cause, in: [task_mapping, format_instability]}
          - {key: task.type, eq: extraction}
    """)
    few_noisy = {"data.examples": 150, "data.quality": "noisy"}
    assert cond.evaluate({**few_noisy, "failure.main_cause": "task_mapping"}) is True
    assert cond.evaluate({**few_noisy, "failure.main_cause": "missing_knowledge", "task.type": "extraction"}) is True
    assert cond.evaluate({**few_noisy, "failure.main_cause": "missing_knowledge", "task.type": "chat"}) is False
    # the inner 'any' is undecided: the whole is undecided, not false
    assert cond.evaluate({**few_noisy, "failure.main_cause": "missing_knowledge"}) is None
    # ... unless another branch of the 'all' already fails
    assert cond.evaluate({"data.examples": 5000, "data.quality": "noisy"}) is False
    assert cond.evaluate({"data.examples": 150, "data.quality": "clean", "failure.main_cause": "task_mapping"}) is False
    assert cond.keys() == {"data.examples", "data.quality", "failure.main_cause", "task.type"}
    assert [leaf.key for leaf in cond.leaves()] == ["data.examples", "data.quality", "failure.main_cause", "task.type"]


# -- shape: what the loader accepts and refuses -----------------------------------

@pytest.mark.parametrize("spec,message", [
    ("{key: k}", "needs exactly one comparison, got 0"),
    ("{key: k, eq: 1, ne: 2}", "needs exactly one comparison, got 2"),
    ("{key: k, lt: 1, gt: 0}", "needs exactly one comparison, got 2"),
    ("{eq: 1}", "a condition needs `key`"),
    ("{}", "a condition needs `key`"),
    ("{all: [], any: []}", "either one of all/any/not"),
    ("{key: k, all: []}", "either one of all/any/not"),
    ("{not: {key: k, eq: 1}, eq: 1}", "either one of all/any/not"),
])
def test_malformed_conditions_are_refused(spec, message):
    with pytest.raises(ValidationError, match=message.replace("`", ".")):
        c(spec)


@pytest.mark.parametrize("spec", ["{key: k, equals: 1}", "{key: k, eq: 1, typo: 2}", "{all: [{key: k, gt: 1, x: 0}]}"])
def test_unknown_operator_keys_are_refused(spec):
    with pytest.raises(ValidationError, match="[Ee]xtra"):
        c(spec)


def test_numeric_limits_must_be_numbers():
    with pytest.raises(ValidationError):
        c("{key: k, lt: many}")


def test_conditions_are_immutable_values():
    cond = c("{key: k, eq: 1}")
    with pytest.raises(ValidationError):
        cond.eq = 2  # type: ignore[misc]
    assert cond == c("{key: k, eq: 1}") and hash(cond) == hash(c("{key: k, eq: 1}"))


# -- introspection -----------------------------------------------------------------

@pytest.mark.parametrize("spec,values", [
    ("{key: k, eq: a}", ["a"]), ("{key: k, ne: a}", ["a"]), ("{key: k, in: [a, b]}", ["a", "b"]),
    ("{key: k, not_in: [c]}", ["c"]), ("{key: k, lt: 1}", [1]), ("{key: k, lte: 2}", [2]),
    ("{key: k, gt: 3}", [3]), ("{key: k, gte: 4}", [4]), ("{key: k, known: true}", []),
    ("{key: k, eq: false}", [False]),
])
def test_values_are_the_literals_a_leaf_compares_with(spec, values):
    assert c(spec).values() == values


def test_keys_and_leaves_of_a_not_and_of_a_leaf():
    inner = c("{not: {key: a, eq: 1}}")
    assert inner.keys() == {"a"} and [x.key for x in inner.leaves()] == ["a"]
    leaf = c("{key: b, lt: 2}")
    assert leaf.keys() == {"b"} and leaf.leaves() == [leaf]
    assert c({"all": []}).keys() == set() and c({"any": []}).leaves() == []


@pytest.mark.parametrize("spec,text", [
    ("{key: data.examples, lt: 200}", "data.examples < 200"),
    ("{key: data.examples, lte: 200}", "data.examples <= 200"),
    ("{key: data.examples, gt: 200}", "data.examples > 200"),
    ("{key: data.examples, gte: 200.5}", "data.examples >= 200.5"),
    ("{key: task.type, eq: extraction}", "task.type = extraction"),
    ("{key: task.type, ne: extraction}", "task.type != extraction"),
    ("{key: risk.pii, eq: true}", "risk.pii = yes"),
    ("{key: risk.pii, eq: false}", "risk.pii = no"),
    ("{key: task.type, in: [chat, extraction]}", "task.type in {chat, extraction}"),
    ("{key: task.type, not_in: [chat]}", "task.type not in {chat}"),
    ("{key: task.type, not_in: [chat, qa]}", "task.type not in {chat, qa}"),
    ("{key: data.examples, known: true}", "data.examples is answered"),
    ("{key: data.examples, known: false}", "data.examples is unknown"),
    ("{not: {key: a, eq: 1}}", "not (a = 1)"),
    ("{all: [{key: a, eq: 1}, {key: b, eq: 2}]}", "a = 1 and b = 2"),
    ("{any: [{key: a, eq: 1}, {key: b, eq: 2}]}", "a = 1 or b = 2"),
    ("{all: [{key: a, eq: 1}, {any: [{key: b, eq: 2}, {key: c, eq: 3}]}]}", "a = 1 and (b = 2 or c = 3)"),
    ("{any: [{all: [{key: a, eq: 1}, {key: b, eq: 2}]}, {not: {key: c, eq: 3}}]}",
     "(a = 1 and b = 2) or (not (c = 3))"),
])
def test_describe_reads_as_a_person_would_write_it(spec, text):
    assert c(spec).describe() == text


def test_with_no_answers_only_known_leaves_can_decide_a_real_rule():
    """Over the real knowledge base: with nothing answered every comparison is undecided, so a
    rule or blocker condition can come out True or False only through a ``known`` leaf."""
    from advisor.core.knowledge import load_knowledge

    kb = load_knowledge()
    conds = [r.when for r in kb.rules] + [b.when for b in kb.blockers]
    assert len(conds) > 10
    for cond in conds:
        if all(leaf.known is None for leaf in cond.leaves()):
            assert cond.evaluate({}) is None, cond.describe()
