"""The JSON, YAML-walk and validation-message helpers of advisor.core.io, in-process.

Pins, each from its contract (the docstrings, docs/limits.md, the documented
behaviour of json, PyYAML and pydantic), never from the code's own output:

* ``json_loads`` / ``json_raw_decode``: nesting too deep and integers past
  Python's 4300-digit limit are ``json.JSONDecodeError`` with their message
  and position (the long number itself; from ``pos`` on for raw_decode);
* ``parse_json`` / ``load_json``: the messages, the line of one JSONL line
  inside a larger file, NaN/Infinity refused with file and line when asked,
  ``limit``/``what`` passed through to the size-limit message, lone
  surrogates in keys and values (nested too) read as U+FFFD;
* ``to_json``: the exact text (indent 2, non-ASCII kept, newline at the end),
  dict keys that are not strings written as ``str(key)``;
* the YAML walk behind ``parse_yaml``: the node and depth limits at and just
  past the boundary, recursive aliases, duplicate keys (file, line, dotted
  key), repeated merge keys, collection keys;
* ``validation_error`` / ``short_repr``: union branch tags dropped from the
  key, the allowed keys of a model reached through lists, dict values and
  Optional, a non-model holder, pydantic's own message for other error kinds,
  and short_repr's cuts at exactly the width and at 20 items.

``tests/unit/test_io_readers.py`` and ``tests/unit/test_hostile_io.py`` hold
the neighbouring cases (the line map, each friendly message, alias bombs);
these do not repeat them.
"""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from typing import Literal, Optional, Union

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, with_config
from typing_extensions import TypedDict

from advisor.core import io as aio
from advisor.errors import UserError

NESTED = "nested too deeply (expected at most a few hundred levels)"
LONG = "a number with more than 4300 digits"
DEEP = "[" * 100_000 + "]" * 100_000  # far past any recursion limit


def std_error(text: str) -> json.JSONDecodeError:
    """The standard library's own error for ``text`` (what parse_json must report)."""
    with pytest.raises(json.JSONDecodeError) as e:
        json.loads(text)
    return e.value


def column_of(text: str, pos: int) -> int:
    """1-based column of ``pos``, as json.JSONDecodeError defines ``colno``."""
    return pos - text.rfind("\n", 0, pos)


# -- json_loads / json_raw_decode ------------------------------------------------------

def test_json_loads_nesting_too_deep_is_a_decode_error_at_the_start():
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads(DEEP)
    assert (e.value.msg, e.value.pos, e.value.lineno, e.value.colno) == (NESTED, 0, 1, 1)


def test_json_loads_long_integer_is_a_decode_error_at_the_number():
    head = '{"a": 1,\n "b": '
    text = head + "7" * 5000 + "}"
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads(text)
    assert (e.value.msg, e.value.pos) == (LONG, len(head))
    assert (e.value.lineno, e.value.colno) == (2, column_of(text, len(head)))


def test_json_raw_decode_nesting_too_deep_is_blamed_on_pos():
    text = '{"ok": 1}\n' + DEEP
    pos = len('{"ok": 1}\n')
    assert aio.json_raw_decode(text, 0) == ({"ok": 1}, pos - 1)
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_raw_decode(text, pos)
    err = e.value
    assert (err.msg, err.pos, err.lineno, err.colno, err.doc) == (NESTED, pos, 2, 1, text)


def test_json_raw_decode_long_integer_is_blamed_on_the_number_after_pos():
    # Line 1 holds a long run of digits inside a string: it is before pos, so never blamed.
    first = '{"id": "' + "1" * 5000 + '"}\n'
    second = '{"n": ' + "2" * 5000 + "}\n"
    text = first + second
    obj, end = aio.json_raw_decode(text, 0)
    assert obj == {"id": "1" * 5000} and end == len(first) - 1
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_raw_decode(text, len(first))
    err = e.value
    digits = len(first) + len('{"n": ')
    assert (err.msg, err.pos, err.lineno, err.colno, err.doc) == (LONG, digits, 2, 7, text)


@pytest.fixture
def digit_limit():
    """Set Python's integer digit limit for one test (PYTHONINTMAXSTRDIGITS does this for a process)."""
    old = sys.get_int_max_str_digits()
    yield sys.set_int_max_str_digits
    sys.set_int_max_str_digits(old)


def test_a_lower_digit_limit_is_the_one_named_and_the_number_is_blamed(digit_limit):
    digit_limit(1000)
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads("[" + "1" * 2000 + "]")
    assert (e.value.msg, e.value.pos) == ("a number with more than 1000 digits", 1)
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_raw_decode("[1]\n[" + "1" * 2000 + "]", 4)
    assert (e.value.msg, e.value.pos) == ("a number with more than 1000 digits", 5)


@pytest.mark.parametrize("before", [
    '"id": "' + "1" * 5000 + '", ',   # digits inside a string
    '"ok": ' + "1" * 4300 + ", ",      # an integer exactly at the limit reads
    '"f": ' + "1" * 5000 + ".5, ",     # a float with a long integer part reads
    '"e": 1e' + "0" * 5000 + ", ",     # and a long exponent
])
def test_the_number_blamed_is_the_integer_past_the_limit_not_an_earlier_run_of_digits(before):
    assert json.loads("{" + before + '"z": 0}')  # the standard reader takes all of these
    text = "{" + before + '"n": -' + "2" * 5000 + "}"
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads(text)
    assert (e.value.msg, e.value.pos) == (LONG, text.index("-2"))


def test_a_yaml_integer_past_the_limit_is_named_by_its_own_line():
    text = "a: 1\nb: '" + "1" * 5000 + "'\nc:\n  - " + "2" * 5000 + "\n"
    with pytest.raises(UserError) as e:
        aio.parse_yaml(text, file="k.yaml")
    assert (e.value.file, e.value.line) == ("k.yaml", 4)
    assert e.value.message.startswith("a number too large to read")
    assert aio.parse_yaml("n: " + "9" * 4300 + "\n", file="k.yaml")[0] == {"n": int("9" * 4300)}


# -- parse_json / load_json ------------------------------------------------------------

@pytest.mark.parametrize("text", ['{"a": 1,\n "b": }', '{"a": 1, "b": }', "[1,\n\n 2,,]"])
@pytest.mark.parametrize("line", [None, 1, 7])
def test_a_malformed_line_is_named_inside_the_larger_file(text, line):
    std = std_error(text)
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="eval.jsonl", line=line)
    err = e.value
    expected_line = std.lineno if line is None else line + std.lineno - 1
    assert (err.file, err.line, err.column) == ("eval.jsonl", expected_line, std.colno)
    assert err.message == f"malformed JSON: {std.msg}"


def test_the_line_given_is_where_the_text_starts():
    # text starting on line 7 with its error on its 2nd line: line 8 of the file
    with pytest.raises(UserError) as e:
        aio.parse_json('{"a": 1,\n "b": }', file="f.jsonl", line=7)
    assert (e.value.line, e.value.column) == (8, 7)


def test_nesting_and_long_numbers_read_as_themselves_not_as_malformed():
    with pytest.raises(UserError) as e:
        aio.parse_json(DEEP, file="d.json", line=7)
    assert (e.value.message, e.value.file, e.value.line, e.value.column) == (NESTED, "d.json", 7, 1)
    text = '{"a": 1,\n "b": ' + "7" * 5000 + "}"
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="n.jsonl", line=7)
    assert (e.value.message, e.value.file, e.value.line, e.value.column) == (LONG, "n.jsonl", 8, 7)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_refused_with_file_and_line(token):
    text = f'{{"loss": {token}}}'
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="eval.jsonl", line=7, allow_nan=False)
    err = e.value
    assert (err.message, err.file, err.line) == (
        f"{token} is not a JSON number (expected a finite number)", "eval.jsonl", 7)
    value = aio.parse_json(text, file="log.jsonl", line=7)["loss"]
    assert math.isnan(value) if token == "NaN" else value == float(token)


def test_a_refused_nan_is_named_by_its_own_line_and_column_not_one_in_a_string():
    text = '{\n  "note": "NaN",\n  "loss":   NaN\n}'
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="state.json", allow_nan=False)
    assert (e.value.file, e.value.line, e.value.column) == ("state.json", 3, column_of(text, text.rindex("NaN")))
    assert e.value.column == len('  "loss":   ') + 1
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="log.jsonl", line=40, allow_nan=False)
    assert e.value.line == 42


def test_load_json_accepts_nan_by_default_and_refuses_it_when_asked(tmp_path):
    f = tmp_path / "log.json"
    f.write_text('{"loss": NaN, "best": -Infinity}\n')
    data = aio.load_json(f)
    assert math.isnan(data["loss"]) and data["best"] == -math.inf
    with pytest.raises(UserError) as e:
        aio.load_json(f, allow_nan=False)
    assert (e.value.message, e.value.file) == ("NaN is not a JSON number (expected a finite number)", str(f))


@pytest.mark.parametrize("load,text,default", [
    (aio.load_json, '{"a": [1, 2, 3]}\n', "this kind of file"),
    (aio.load_yaml, "a: [1, 2, 3]\n", "a YAML file"),
])
def test_load_passes_limit_and_what_to_the_size_message(tmp_path, load, text, default):
    f = tmp_path / "in.txt"
    f.write_text(text)
    size = len(text.encode())
    load(f, limit=size)  # exactly at the limit reads
    with pytest.raises(UserError) as e:
        load(f, limit=size - 1)
    assert (e.value.message, e.value.file) == (
        f"larger than the {size - 1} bytes limit for {default} (docs/limits.md)", str(f))
    with pytest.raises(UserError) as e:
        load(f, limit=size - 1, what="an autosaved session")
    assert e.value.message == f"larger than the {size - 1} bytes limit for an autosaved session (docs/limits.md)"


def test_lone_surrogates_in_keys_and_values_read_as_replacement_characters():
    text = ('{"k\\ud800": {"v": "x\\udc00y", "l": ["\\ud800", {"\\udfff": "\\ud83d"}]},'
            ' "pair": "\\ud83d\\ude00"}')
    assert aio.parse_json(text, file="s.json") == {
        "k\ufffd": {"v": "x\ufffdy", "l": ["\ufffd", {"\ufffd": "\ufffd"}]},
        "pair": "\U0001f600",  # a high and a low surrogate together are one character, kept
    }


def test_clean_surrogates():
    assert aio.clean_surrogates("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert aio.clean_surrogates("plain é") == "plain é"


# -- to_json ---------------------------------------------------------------------------

def test_to_json_exact_text():
    assert aio.to_json({"a": [1, "é"], "b": {}, "c": (2,)}) == (
        '{\n  "a": [\n    1,\n    "é"\n  ],\n  "b": {},\n  "c": [\n    2\n  ]\n}\n')
    assert aio.to_json({"a": [1, "é"]}, indent=None) == '{"a": [1, "é"]}\n'


class Colour(str, Enum):
    red = "red"
    blue = "blue"


def test_to_json_keys_that_are_not_strings_are_written_as_str():
    text = aio.to_json({True: 1, None: 2, 2.5: 3, 7: 4, float("nan"): 5})
    assert json.loads(text) == {"True": 1, "None": 2, "2.5": 3, "7": 4, "nan": 5}
    # a str subclass is a string: written as its text, as json.dumps does
    assert aio.to_json({Colour.red: 1}, indent=None) == '{"red": 1}\n'


# -- the YAML walk (parse_yaml) ---------------------------------------------------------

def block_list(n: int) -> str:
    return "".join(f"- {i}\n" for i in range(1, n + 1))


def test_node_limit_exactly_at_the_limit_passes_one_more_fails(monkeypatch):
    monkeypatch.setattr(aio, "YAML_MAX_NODES", 1000)
    # the list itself and its items are values: 999 items are 1000 values
    assert aio.parse_yaml(block_list(999), file="n.yaml")[0] == list(range(1, 1000))
    with pytest.raises(UserError) as e:
        aio.parse_yaml(block_list(1000), file="n.yaml")
    err = e.value
    assert err.message == ("the YAML expands to more than 1,000 values (aliases such as *name are counted "
                           "each time they are used); expected a plain document")
    assert (err.file, err.line) == ("n.yaml", 1000)  # the item past the limit


def test_each_use_of_an_alias_counts(monkeypatch):
    monkeypatch.setattr(aio, "YAML_MAX_NODES", 10)
    text = "a: &x [1, 2]\nb: *x\nc: *x\n"  # the mapping, then 3 x (a list and 2 items): 10
    assert aio.parse_yaml(text, file="a.yaml")[0] == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}
    with pytest.raises(UserError, match="expands to more than 10 values"):
        aio.parse_yaml(text + "d: *x\n", file="a.yaml")


def test_depth_limit_exactly_at_the_limit_passes_one_more_fails():
    n = aio.MAX_DEPTH  # docs/limits.md: 200 levels
    data, _ = aio.parse_yaml("[" * n + "1" + "]" * n + "\n", file="d.yaml")
    for _ in range(n):
        data = data[0]
    assert data == 1
    with pytest.raises(UserError) as e:
        aio.parse_yaml("[" * (n + 1) + "1" + "]" * (n + 1) + "\n", file="d.yaml")
    assert (e.value.message, e.value.file, e.value.line) == (f"nested more than {n} levels deep", "d.yaml", 1)


def test_too_deep_names_the_line_of_the_value_too_deep(monkeypatch):
    monkeypatch.setattr(aio, "MAX_DEPTH", 3)
    assert aio.parse_yaml("a:\n  b:\n    c: 1\n", file="d.yaml")[0] == {"a": {"b": {"c": 1}}}
    with pytest.raises(UserError) as e:  # `1`, 4 levels down, is on line 5
        aio.parse_yaml("top: 0\na:\n  b:\n    c:\n      d: 1\n", file="d.yaml")
    assert (e.value.message, e.value.file, e.value.line) == ("nested more than 3 levels deep", "d.yaml", 5)


def test_recursive_alias_names_file_and_line():
    with pytest.raises(UserError) as e:
        aio.parse_yaml("ok: 1\nb: &x [c, *x]\n", file="r.yaml")
    assert (e.value.message, e.value.file, e.value.line) == (
        "recursive alias: an anchor (&name) is used inside itself (*name)", "r.yaml", 2)


@pytest.mark.parametrize("text,name,key,first,again", [
    ("data:\n  examples: 10\n  quality: clean\n  examples: 20\n", "examples", "data.examples", 2, 4),
    ("a: 1\nb: 2\na: 3\n", "a", "a", 1, 3),
    ("rules:\n  - when: x\n    when: y\n", "when", "rules[0].when", 2, 3),
])
def test_duplicate_key_names_file_both_lines_and_the_dotted_key(text, name, key, first, again):
    with pytest.raises(UserError) as e:
        aio.parse_yaml(text, file="dup.yaml")
    err = e.value
    assert err.message == (f"duplicate key {name!r} (first on line {first}, again on line {again}); "
                           "expected each key once")
    assert (err.file, err.line, err.key) == ("dup.yaml", again, key)


def test_the_merge_key_may_repeat():
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n  z: 3\n"
    data, _ = aio.parse_yaml(text, file="m.yaml")
    assert data == yaml.safe_load(text)
    assert data["c"] == {"x": 1, "y": 2, "z": 3}


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n", "? [a]\n: 1\n? [a]\n: 2\n"])
def test_a_collection_as_a_key_is_a_user_error_not_a_crash(text):
    with pytest.raises(yaml.constructor.ConstructorError) as std:
        yaml.safe_load(text)  # PyYAML's safe loader refuses it: a list or mapping cannot be a key
    with pytest.raises(UserError) as e:
        aio.parse_yaml(text, file="k.yaml")
    assert e.value.message.startswith(f"malformed YAML: {std.value.problem}")
    assert (e.value.file, e.value.line) == ("k.yaml", std.value.problem_mark.line + 1)


# -- validation_error ------------------------------------------------------------------

class Leaf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colour: str = "red"
    size: int = 0


class Branch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leaf: Optional[Leaf] = None
    leaves: list[Leaf] = []


@with_config(ConfigDict(extra="forbid"))
class Plain(TypedDict, total=False):  # a typed mapping that is not a pydantic model
    n: int
    leaf: Leaf


class Paint(Enum):
    red = "red"
    blue = "blue"


class Tree(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch: Optional[Branch] = None
    branches: Optional[list[Branch]] = None
    by_number: dict[int, Leaf] = {}
    plain: Optional[Plain] = None
    count: Union[int, Literal["auto"]] = 0
    ratio: Union[float, Literal["auto"]] = 0.0
    label: Union[str, int] = ""
    flag: Union[bool, Literal["auto"]] = False
    mode: Union[Literal["fast", "slow"], int] = "fast"
    code: str = Field("abc", min_length=3)
    paint: Paint = Paint.red


def tree_error(data, lines=None) -> UserError:
    with pytest.raises(ValidationError) as e:
        Tree.model_validate(data)
    return aio.validation_error(e.value, file="tree.yaml", lines=lines, model=Tree)


LEAF_KEYS = "unknown key; allowed keys here: colour, size"


@pytest.mark.parametrize("data,key", [
    ({"branch": {"leaf": {"shape": 1}}}, "branch.leaf.shape"),
    ({"branches": [{"leaf": {"shape": 1}}]}, "branches[0].leaf.shape"),
    ({"branch": {"leaves": [{}, {"shape": 1}]}}, "branch.leaves[1].shape"),
    ({"by_number": {3: {"shape": 1}}}, "by_number[3].shape"),
])
def test_allowed_keys_are_those_of_the_model_holding_the_key(data, key):
    err = tree_error(data)
    assert (err.message, err.key, err.file) == (LEAF_KEYS, key, "tree.yaml")


@pytest.mark.parametrize("data,key", [
    ({"plain": {"shape": 1}}, "plain.shape"),
    ({"plain": {"leaf": {"shape": 1}}}, "plain.leaf.shape"),
])
def test_an_unknown_key_under_a_holder_that_is_not_a_model_is_still_a_user_error(data, key):
    err = tree_error(data)
    assert err.message.startswith("unknown key") and err.key == key


@pytest.mark.parametrize("key,value,message", [
    ("count", "many", "expected a whole number (got 'many')"),
    ("ratio", "lots", "expected a number (got 'lots')"),
    ("label", [], "expected text (got [])"),
    ("flag", "maybe", "expected true or false (got 'maybe')"),
    ("mode", "medium", "'medium' is not allowed; expected one of: 'fast' or 'slow'"),
])
def test_union_branch_tags_are_not_part_of_the_key(key, value, message):
    text = f"code: abcd\n{key}: {json.dumps(value)}\n"
    data, lines = aio.parse_yaml(text, file="tree.yaml")
    err = tree_error(data, lines)
    assert (err.key, err.line) == (key, 2)
    assert err.message == f"{message} (and 1 more problem in this file)"


def test_other_kinds_of_problem_use_pydantics_message_and_the_value():
    with pytest.raises(ValidationError) as e:
        Tree.model_validate({"code": "ab"})
    said = e.value.errors()[0]["msg"]  # pydantic's words for string_too_short
    err = aio.validation_error(e.value, file="tree.yaml", model=Tree)
    assert (err.message, err.key) == (f"{said} (got 'ab')", "code")


def test_a_null_value_is_not_echoed_as_python_none():
    with pytest.raises(ValidationError) as e:
        Tree.model_validate({"paint": None})  # `paint:` with nothing after it
    said = e.value.errors()[0]["msg"]
    err = aio.validation_error(e.value, file="tree.yaml", model=Tree)
    assert (err.message, err.key) == (said, "paint")


# -- short_repr ------------------------------------------------------------------------

@pytest.mark.parametrize("value,width,text", [
    ("x" * 81, 80, repr("x" * 80) + "... (81 characters)"),
    ("y" * 1234, 80, repr("y" * 80) + "... (1,234 characters)"),
    ("abcdef", 3, "'abc'... (6 characters)"),
    # a string of exactly the width is not cut as a string; its repr (2 quotes longer) is
    ("x" * 80, 80, repr("x" * 80)[:80] + "..."),
    ("abc", 3, "'ab..."),
    (list(range(20)), 80, repr(list(range(20)))),
    (list(range(21)), 80, "a list of 21 items"),
    (dict.fromkeys(range(1234)), 80, "a dict of 1,234 items"),
    (12345, 5, "12345"),
    (123456, 5, "12345..."),
    (["a" * 50, "b" * 50], 80, repr(["a" * 50, "b" * 50])[:80] + "..."),
])
def test_short_repr_cuts(value, width, text):
    assert aio.short_repr(value, width) == text


def test_short_repr_width_defaults_to_80():
    assert aio.short_repr("x" * 81) == repr("x" * 80) + "... (81 characters)"
    assert aio.short_repr(10 ** 79) == repr(10 ** 79)  # 80 digits: exactly the width
    assert aio.short_repr(10 ** 80) == repr(10 ** 80)[:80] + "..."


@pytest.mark.parametrize("name", ["str", "int", "items[0]"])
def test_a_key_of_the_users_own_that_looks_like_a_union_tag_is_named_with_its_line(name):
    data, lines = aio.parse_yaml(f"code: abcd\n{name}: 1\n", file="tree.yaml")
    err = tree_error(data, lines)
    assert (err.key, err.line) == (name, 2)
    assert err.message.startswith("unknown key; allowed keys here: branch, branches")
    assert tree_error(data).key == name  # without a line map too: it is the unknown key itself


# -- the integer blamed, at its edges ------------------------------------------------------------

@pytest.mark.parametrize("number", ["9" * 4301, "-" + "9" * 4301])
def test_one_digit_past_the_limit_is_blamed_signed_or_not(number):
    text = '{"a": ' + "1" * 4300 + ', "b": ' + number + "}"
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads(text)
    assert (e.value.msg, e.value.pos) == (LONG, text.index(number))


def test_a_bare_long_number_is_blamed_where_the_text_starts():
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_loads("9" * 5000)
    assert (e.value.msg, e.value.pos) == (LONG, 0)


def test_raw_decode_blames_the_long_integer_after_pos_not_one_before_it():
    first = "[" + "1" * 5000 + "]\n"  # a long integer on an earlier line, not the one being read
    text = first + '{"n": ' + "2" * 5000 + "}"
    with pytest.raises(json.JSONDecodeError) as e:
        aio.json_raw_decode(text, len(first))
    assert (e.value.msg, e.value.pos) == (LONG, text.index("2"))


def test_the_yaml_integer_blamed_is_past_the_limit_after_aliases_and_one_at_the_limit():
    text = ("ok: " + "1" * 4300 + "\n"                     # exactly at the limit: reads
            "a: &x [1, 2]\nb: *x\nc: *x\n"                  # a node met again through its aliases
            "d: " + "2" * 4301 + "\n")                      # line 5: one digit past
    with pytest.raises(UserError) as e:
        aio.parse_yaml(text, file="k.yaml")
    assert (e.value.line, e.value.message) == (
        5, "a number too large to read (ValueError); expected a number of sensible size")


def test_a_refused_nan_on_the_line_after_a_leading_blank_line():
    text = '\n{"a": NaN}'
    with pytest.raises(UserError) as e:
        aio.parse_json(text, file="x.json", allow_nan=False)
    assert (e.value.line, e.value.column) == (2, len('{"a": ') + 1)
