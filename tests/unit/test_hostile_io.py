"""The shared readers and writers (advisor.core.io) against hostile or unlucky input.

Each expectation comes from what the input is (a FIFO has no end, a YAML
key written twice is ambiguous, JSON has no NaN), not from the code's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from advisor.core import io as aio
from advisor.errors import UserError


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    done = threading.Event()
    err: list[BaseException] = []

    def read() -> None:
        try:
            aio.read_text(fifo)
        except BaseException as e:  # noqa: BLE001
            err.append(e)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(10), "reading a FIFO with no writer blocked"
    assert isinstance(err[0], UserError)
    assert err[0].file == str(fifo) and "named pipe" in err[0].message


def test_a_device_is_refused():
    with pytest.raises(UserError, match="is a device, expected a regular file"):
        aio.read_text("/dev/zero")


def test_process_substitution_is_read(tmp_path):
    # bash gives the command a /dev/fd/N path to a pipe; it must read like a file
    script = ("from advisor.core.io import read_text; import sys; "
              "print(read_text(sys.argv[1]).upper(), end='')")
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -c \"{script}\" <(printf 'a: 1\\n')"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "A: 1\n"


def test_process_substitution_is_bounded():
    script = ("from advisor.core.io import read_text; import sys\n"
              "try:\n    read_text(sys.argv[1], limit=1000)\nexcept Exception as e:\n    print(e)")
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -c \"{script}\" <(yes)"],
                       capture_output=True, text=True, timeout=60)
    assert "larger than the 1000 bytes limit" in r.stdout


def test_size_limit(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text("x" * 2000)
    with pytest.raises(UserError, match="larger than the 1000 bytes limit for an answers file"):
        aio.read_text(f, limit=1000, what="an answers file")
    assert aio.read_text(f, limit=2000) == "x" * 2000


@pytest.mark.parametrize("make, reason", [
    (lambda d: d / ("n" * 300), "file name too long"),
    (lambda d: (os.symlink(d / "loop", d / "loop"), d / "loop")[1], "symlink loop"),
    (lambda d: ((d / "f").write_text("x"), d / "f" / "child.yaml")[1], "is a file, not a folder"),
    (lambda d: d, "is a directory"),
    (lambda d: d / "missing.yaml", "file not found"),
])
def test_os_errors_name_the_file(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(UserError) as e:
        aio.read_text(path)
    assert reason in e.value.message and e.value.file == str(path)


def test_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(UserError, match="not UTF-8") as e:
        aio.read_text(f)
    assert e.value.line == 2


# -- YAML ---------------------------------------------------------------------

def test_duplicate_key_names_both_lines():
    with pytest.raises(UserError) as e:
        aio.parse_yaml("data:\n  examples: 10\n  quality: clean\n  examples: 20\n", file="a.yaml")
    assert "duplicate key 'examples'" in e.value.message
    assert "first on line 2, again on line 4" in e.value.message and e.value.line == 4


def test_merge_keys_are_not_duplicates():
    data, _ = aio.parse_yaml("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n", file="a.yaml")
    assert data["thing"] == {"x": 1, "y": 2}


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    with pytest.raises(UserError, match="expands to more than"):
        aio.parse_yaml("\n".join(lines) + "\n", file="bomb.yaml")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n"])
def test_recursive_alias_is_refused(text):
    with pytest.raises(UserError, match="recursive alias"):
        aio.parse_yaml(text, file="r.yaml")


def test_deep_yaml_and_long_numbers():
    with pytest.raises(UserError, match="nest"):
        aio.parse_yaml("a: " + "[" * 500 + "]" * 500 + "\n", file="d.yaml")
    with pytest.raises(UserError, match="number too large") as e:
        aio.parse_yaml("x: 1\nn: " + "9" * 5000 + "\n", file="n.yaml")
    assert e.value.line == 2


# -- JSON ---------------------------------------------------------------------

def test_deep_json_and_long_integers_are_user_errors():
    with pytest.raises(UserError, match="nested too deeply"):
        aio.parse_json("[" * 100000 + "]" * 100000, file="d.json")
    with pytest.raises(UserError, match="more than 4300 digits") as e:
        aio.parse_json('{"a": 1,\n "b": ' + "7" * 5000 + "}", file="n.json")
    assert e.value.line == 2


def test_nan_can_be_refused():
    assert aio.parse_json("[NaN]", file="x.json")[0] != aio.parse_json("[NaN]", file="x.json")[0]
    with pytest.raises(UserError, match="NaN is not a JSON number"):
        aio.parse_json("[NaN]", file="x.json", allow_nan=False)


def test_lone_surrogate_escapes_are_replaced():
    assert aio.parse_json('["a\\ud800b"]', file="s.json") == ["a\ufffdb"]


def test_to_json_is_strict_and_escapes_what_a_terminal_acts_on():
    text = aio.to_json({"a": float("nan"), "b": [float("inf"), (1, 2)], "c": "x\x9b2Jy\u202e", "d": "\ud800"})
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict token {c}"))
    assert data == {"a": None, "b": [None, [1, 2]], "c": "x\x9b2Jy\u202e", "d": "\ud800"}
    assert "\x9b" not in text and "\u202e" not in text
    text.encode("utf-8")  # writable as UTF-8


def test_clean_terminal():
    s = "ok\x1b[2J\x1b]0;pwned\x07 \x1b[31mred\x1b[0m\rline\ttab\nnext\x9b1m\x07\u202eevil"
    assert aio.clean_terminal(s) == "ok redline\ttab\nnext1mevil"
