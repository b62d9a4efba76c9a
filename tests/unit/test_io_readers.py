"""The shared readers in-process: read_text's refusals, parse_yaml's line map and error positions,
dotted key paths and validation_error's messages (file, line, key, what is allowed).

Subprocess tests show the same messages at the CLI; these pin each branch where it is made.
"""

from __future__ import annotations

from typing import Literal, Optional

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.io import dotted, load_yaml, parse_yaml, read_text, validation_error
from advisor.errors import UserError

# -- read_text -----------------------------------------------------------------------


def test_read_text_reads_utf8(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_bytes("naïve: café ✓\n".encode())
    assert read_text(f) == "naïve: café ✓\n"


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "file not found"),
    (lambda p: p.mkdir(), "is a directory, expected a file"),
    (lambda p: p.write_bytes(b"ok: 1\n\xff\xfe"), "not UTF-8 text (byte 6)"),
    (lambda p: p.write_bytes("é".encode("latin-1")), "not UTF-8 text (byte 0)"),
])
def test_read_text_refusals_name_the_file(tmp_path, make, message):
    p = tmp_path / "in.yaml"
    make(p)
    with pytest.raises(UserError) as e:
        read_text(p)
    assert e.value.message.startswith(message) and e.value.file == str(p)
    assert str(e.value).startswith(f"{p}") and message in str(e.value)


# -- parse_yaml ----------------------------------------------------------------------

def test_parse_yaml_maps_every_key_and_item_to_its_line():
    text = "a: 1\nb:\n  c: 2\n  d:\n    - x\n    - {e: 3}\nf: [g, h]\n"
    data, lines = parse_yaml(text, file="t.yaml")
    assert data == {"a": 1, "b": {"c": 2, "d": ["x", {"e": 3}]}, "f": ["g", "h"]}
    assert lines == {
        (): 1, ("a",): 1, ("b",): 2, ("b", "c"): 3, ("b", "d"): 4,
        ("b", "d", 0): 5, ("b", "d", 1): 6, ("b", "d", 1, "e"): 6,
        ("f",): 7, ("f", 0): 7, ("f", 1): 7,
    }


def test_a_key_line_is_where_the_key_is_not_where_its_value_starts():
    _, lines = parse_yaml("outer:\n\n\n  inner: 1\n", file="t.yaml")
    assert lines[("outer",)] == 1 and lines[("outer", "inner")] == 4


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_an_empty_document_is_none_with_no_lines(text):
    assert parse_yaml(text, file="t.yaml") == (None, {})


def test_a_scalar_document_parses():
    assert parse_yaml("42\n", file="t.yaml") == (42, {(): 1})


@pytest.mark.parametrize("text,line,column,words", [
    ("a: [1, 2\nb: 3\n", 2, 2, ["malformed YAML:"]),
    ("a: 1\n b: 2\n", 2, 3, ["malformed YAML: mapping values are not allowed"]),
    ('a: "abc\n', 2, 1, ["malformed YAML: found unexpected end of stream",
                          "(while scanning a quoted scalar started at line 1, column 4)"]),
    ("a: 1\na: [\n", 3, 1, ["malformed YAML:"]),
])
def test_malformed_yaml_names_line_and_column(text, line, column, words):
    with pytest.raises(UserError) as e:
        parse_yaml(text, file="bad.yaml")
    err = e.value
    assert (err.file, err.line, err.column) == ("bad.yaml", line, column)
    for w in words:
        assert w in err.message
    assert str(err).startswith(f"bad.yaml:{line}:{column}: malformed YAML: ")


def test_load_yaml_reads_and_parses_with_the_path_as_file(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_text("k:\n  - 1\n")
    assert load_yaml(f) == ({"k": [1]}, {(): 1, ("k",): 1, ("k", 0): 2})
    f.write_text("k: [\n")
    with pytest.raises(UserError) as e:
        load_yaml(f)
    assert e.value.file == str(f)


# -- dotted ---------------------------------------------------------------------------

@pytest.mark.parametrize("loc,text", [
    ((), ""),
    (("data",), "data"),
    (("data", "examples"), "data.examples"),
    (("rules", 2, "when"), "rules[2].when"),
    (("rules", 2, "when", "all", 0), "rules[2].when.all[0]"),
    ((0, "a"), "[0].a"),
    (("m", 1, 2), "m[1][2]"),
])
def test_dotted_key_paths(loc, text):
    assert dotted(loc) == text


# -- validation_error -----------------------------------------------------------------

class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int = Field(0, ge=0)


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["a", "b"] = "a"
    count: int = 0
    ratio: float = Field(0.5, le=0.9)
    flag: bool = False
    items: Optional[list[Item]] = None
    inner: Optional[Item] = None


TEXT = """\
kind: a
count: 1
items:
  - name: x
  - name: y
    size: 2
inner:
  name: z
"""


def err_for(yaml_text: str) -> UserError:
    data, lines = parse_yaml(yaml_text, file="doc.yaml")
    with pytest.raises(ValidationError) as e:
        Doc.model_validate(data)
    return validation_error(e.value, file="doc.yaml", lines=lines, model=Doc)


def test_a_valid_document_is_valid():
    data, _ = parse_yaml(TEXT, file="doc.yaml")
    assert Doc.model_validate(data).items[1].size == 2


@pytest.mark.parametrize("edit,line,key,message", [
    (("kind: a", "kind: c"), 1, "kind", "'c' is not allowed; expected one of: 'a' or 'b'"),
    (("count: 1", "count: many"), 2, "count", "expected a whole number (got 'many')"),
    (("count: 1", "count: 1.5"), 2, "count", "expected a whole number (got 1.5)"),
    (("count: 1", "ratio: 2"), 2, "ratio", "expected a number <= 0.9 (got 2)"),
    (("count: 1", "ratio: lots"), 2, "ratio", "expected a number (got 'lots')"),
    (("count: 1", "flag: maybe"), 2, "flag", "expected true or false (got 'maybe')"),
    (("    size: 2", "    size: -1"), 6, "items[1].size", "expected a number >= 0 (got -1)"),
    (("  - name: x", "  - size: 1"), 4, "items[0].name", "is required"),
    (("  name: z", "  name: z\n  colour: red"), 9, "inner.colour", "unknown key; allowed keys here: name, size"),
    (("count: 1", "count: 1\nextra: 1"), 3, "extra",
     "unknown key; allowed keys here: kind, count, ratio, flag, items, inner"),
    (("    size: 2", "    size: 2\n    shape: round"), 7, "items[1].shape", "unknown key; allowed keys here: name, size"),
    (("inner:\n  name: z", "inner: [z]"), 7, "inner", "expected a mapping (key: value pairs) (got ['z'])"),
    (("items:", "items: 3\nold_items:"), 3, "items", "expected a list (got 3)"),
])
def test_each_kind_of_problem_names_line_key_and_what_is_allowed(edit, line, key, message):
    old, new = edit
    assert old in TEXT
    err = err_for(TEXT.replace(old, new, 1))
    assert (err.file, err.line, err.key) == ("doc.yaml", line, key)
    assert err.message.split(" (and ")[0] == message


def test_further_problems_are_counted():
    one_more = err_for(TEXT.replace("count: 1", "count: x\nflag: maybe"))
    assert one_more.message.endswith(" (and 1 more problem in this file)")
    two_more = err_for(TEXT.replace("count: 1", "count: x\nflag: maybe\nratio: 9"))
    assert two_more.message.endswith(" (and 2 more problems in this file)")


def test_without_a_line_map_or_model_the_message_still_names_the_key():
    with pytest.raises(ValidationError) as e:
        Doc.model_validate({"inner": {"name": "z", "colour": "red"}})
    err = validation_error(e.value, file="doc.yaml")
    assert (err.line, err.key, err.message) == (None, "inner.colour", "unknown key")


def test_the_line_of_the_nearest_known_parent_is_used():
    # the missing key has no line of its own: the item that lacks it does
    data, lines = parse_yaml("items:\n  - size: 1\n", file="doc.yaml")
    with pytest.raises(ValidationError) as e:
        Doc.model_validate(data)
    err = validation_error(e.value, file="doc.yaml", lines=lines, model=Doc)
    assert (err.line, err.key, err.message) == (2, "items[0].name", "is required")
