"""The hostile-input corpus: every way data reaches advisor, tried as an attacker or an unlucky user would.

:func:`cases` generates the corpus. It grows the same way the product does:
the answers cases come from the answers model's own fields, the probe-config
cases from the config model's fields, the JSON oddities are crossed with every
JSON surface and the special files with every path option, so a new field or
a new option is covered the day it appears.

A :class:`Case` is a command line with the files it needs. The expectations
are the product's promises, the same for every case:

* exit status 2 (bad input), or 0 where the input is odd but valid (``codes``);
* one ``advisor: error:`` line naming the file (``names``) and saying what was
  wrong or expected (``says``); never a traceback;
* no hang (a timeout per case), nothing executed (YAML tags cannot run code),
  no secret from the environment written to any file or stream;
* JSON output, when there is some, is strict JSON (no NaN, no Infinity).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional, Union, get_args, get_origin

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SECRET = "sk-hostile-corpus-DO-NOT-WRITE-91c4e7"
PWNED = "PWNED-marker"  # a file an executed YAML tag would create

#: A file's content: bytes or text, or a special file made by the runner.
Special = Literal["fifo", "dir", "symlink_loop", "devzero", "devnull", "devfull"]
Content = Union[bytes, str, tuple[str, Special]]


@dataclass
class Case:
    """One hostile input and what must happen.

    ``argv`` may use ``{name}`` for the path of file ``name`` (made in a fresh
    folder) and ``{dir}`` for that folder.
    """

    id: str
    argv: list[str]
    files: dict[str, Content] = field(default_factory=dict)
    stdin: bytes = b""
    codes: tuple[int, ...] = (2,)
    names: Optional[str] = None  # the file the message must name ({name} allowed)
    says: tuple[str, ...] = ()  # fragments the message must contain (any one of each tuple entry: "a|b")
    json_out: bool = False  # stdout, when the exit is 0, must be strict JSON
    no_escape_out: bool = False  # stdout must not hold an escape character
    timeout: float = 20.0
    group: str = ""


# -- valid inputs to vary -----------------------------------------------------

GOOD_ANSWERS = (DATA / "good" / "defi_apr_bot.yaml").read_text()
EVAL_JSONL = (DATA / "probe" / "eval.jsonl").read_text()
TRAIN = (DATA / "triage" / "datasets" / "train_chat.jsonl").read_text()
TRIAGE_LOG = (DATA / "triage" / "logs" / "hf_overfit" / "trainer_state.json").read_text()
PROBE_REPORT = (DATA / "triage" / "probes" / "shift.json").read_text()
SCHEMA = (DATA / "probe" / "answer.schema.json").read_text()


def probe_config(**override: str) -> str:
    """A probe config that is valid but can never reach a model (api_base on a closed port)."""
    keys = {
        "models": "{base: openai/base, candidate: openai/tuned}",
        "api_base": "http://127.0.0.1:9/v1",
        "eval_set": "eval.jsonl",
        "scorer": "exact",
        "suites": "[task]",
        "max_retries": "0",
        "timeout_s": "1",
        "cache": "cache.sqlite",
    }
    keys.update(override)
    return "".join(f"{k}: {v}\n" for k, v in keys.items() if v is not None)


def triage_report() -> dict[str, Any]:
    return {
        "causes": [{"id": "overfitting", "rank": 1, "confidence": 0.7, "evidence": ["eval loss rose"],
                    "first_checks": ["look"], "fixes": ["stop earlier"], "title": "Overfitting",
                    "evidence_against": [], "not_the_issue": [], "source": "runbook"}],
        "findings": [{"id": "eval_loss_rising", "severity": "warning", "where": "log:3", "detail": "rose",
                      "evidence": {"from": 1.0}}],
        "best_checkpoint": {"step": 100, "epoch": 1.0, "eval_loss": 0.9, "eval_set": "eval", "where": "log:3"},
        "symptom": None,
        "curves": [{"name": "train_loss", "kind": "train", "points": [[1, 2.0], [2, 1.5]]}],
        "inputs": {}, "datasets": {},
    }


# -- building blocks ------------------------------------------------------------

#: JSON text that is hostile wherever JSON is read; (id, text, what the message says)
JSON_ODDITIES: list[tuple[str, str, str]] = [
    ("deep_array", "[" * 100_000 + "]" * 100_000, "nested too deeply|malformed|expected"),
    ("deep_object", '{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deeply|malformed|expected"),
    ("int_5000_digits", '{"suites": [], "causes": [], "findings": [], "n": ' + "9" * 5000 + "}", "4300 digits"),
    ("truncated", '{"suites": [{"id": "task", ', "malformed JSON"),
    ("trailing_comma", '{"suites": [1,],}', "malformed JSON"),
    ("not_json", "<html>hello</html>", "malformed JSON|expected"),
    ("top_array", "[1, 2, 3]", "expected"),
    ("top_string", '"just a string"', "expected"),
    ("top_null", "null", "expected"),
    ("empty", "", "malformed JSON|empty|expected"),
    ("nul_bytes", "\x00\x00\x00", "malformed JSON|expected|not"),
]
#: Bytes that are not UTF-8 text.
NOT_UTF8 = b'{"a": "\xff\xfe bad"}\n'

#: YAML that is hostile wherever YAML is read; (id, text, what the message says)
YAML_ODDITIES: list[tuple[str, str, str]] = [
    ("alias_bomb", "\n".join(
        ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]) + "\n",
     "expands to more than"),
    ("recursive_alias", "task: &a {description: *a}\n", "recursive alias"),
    ("recursive_list", "a: &a [*a, *a]\n", "recursive alias"),
    ("duplicate_top_key", "task: {type: extraction}\ntask: {type: code}\n", "duplicate key 'task'"),
    ("duplicate_nested_key", "data:\n  examples: 10\n  examples: 20\n", "duplicate key 'examples'"),
    ("deep_flow", "a: " + "[" * 2000 + "]" * 2000 + "\n", "nest"),
    ("deep_block", "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v: 1\n", "nest"),
    ("int_5000_digits", "data:\n  examples: " + "9" * 5000 + "\n", "number too large|expected"),
    ("python_tag_exec", f"!!python/object/apply:os.system ['touch {PWNED}']\n", "malformed YAML|tag|expected"),
    ("python_name_tag", "task: !!python/name:os.system\n", "malformed YAML|tag|expected"),
    ("undefined_alias", "task: *nothing\n", "malformed YAML"),
    ("unclosed_quote", 'task: {description: "never closed}\n', "malformed YAML"),
    ("tab_indent", "task:\n\tdescription: x\n", "malformed YAML"),
    ("two_documents", "task: {}\n---\ndata: {}\n", "malformed YAML|single document|expected"),
    ("top_list", "- a\n- b\n", "expected a mapping"),
    ("top_scalar", "just words\n", "expected a mapping"),
    ("nul_byte", "task:\x00 {}\n", "malformed YAML|unacceptable"),
    ("binary", "\x7fELF\x02\x01\x01\x00\x00\x00", "malformed YAML|expected|unacceptable"),
]

#: Special files crossed with every path option; (id, content, what the message says)
SPECIAL_FILES: list[tuple[str, Content, str]] = [
    ("fifo", ("", "fifo"), "named pipe"),
    ("dev_zero", ("", "devzero"), "is a device"),
    ("directory", ("", "dir"), "is a directory"),
    ("symlink_loop", ("", "symlink_loop"), "symbolic links"),
    ("not_utf8", NOT_UTF8, "not UTF-8"),
]
#: Paths that fail in the OS (no file is made); (id, path relative to the folder, what the message says)
BAD_PATHS: list[tuple[str, str, str]] = [
    ("missing", "missing.file", "file not found"),
    ("name_too_long", "n" * 300, "file name too long"),
    ("under_a_file", "plain.txt/child", "is a file, not a folder"),
]


def _kind(annotation: Any) -> tuple[str, tuple]:
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    tp = args[0]
    if get_origin(tp) is Literal:
        return "choice", get_args(tp)
    return {bool: "bool", int: "int", float: "float", str: "str"}.get(tp, "other"), ()


#: Hostile YAML values for an answers field, by kind; (id, YAML text)
FIELD_VALUES: dict[str, list[tuple[str, str]]] = {
    "choice": [("int", "123"), ("list", "[a, b]"), ("map", "{x: 1}"), ("unknown_word", "definitely_not_a_choice"),
               ("bool", "true"), ("escape", '"\\e[31mred"')],
    "bool": [("word", "maybe"), ("int", "2"), ("list", "[yes]"), ("map", "{a: 1}"), ("string_true", '"truthy"')],
    "int": [("negative", "-1"), ("ten_to_40", "1" + "0" * 40), ("bool", "true"), ("fraction", "1.5"),
            ("word", "lots"), ("inf", ".inf"), ("nan", ".nan"), ("list", "[1]"), ("digits_5000", "9" * 5000)],
    "float": [("above_one", "2"), ("negative", "-0.1"), ("bool", "true"), ("nan", ".nan"), ("inf", ".inf"),
              ("word", "half"), ("list", "[0.1]"), ("ten_to_400", "1" + "0" * 400)],
    "str": [("too_long", '"' + "x" * 3000 + '"'), ("list", "[a]"), ("map", "{a: 1}")],
}


def answers_field_cases() -> Iterator[Case]:
    from advisor.core.answers import Answers

    for section, sinfo in Answers.model_fields.items():
        sub = sinfo.annotation
        yield Case(f"answers/{section}/scalar", ["decide", "--answers", "{a}"], {"a": f"{section}: 5\n"},
                   names="{a}", says=(section,), group="answers")
        yield Case(f"answers/{section}/list", ["decide", "--answers", "{a}"], {"a": f"{section}: [1, 2]\n"},
                   names="{a}", says=(section,), group="answers")
        yield Case(f"answers/{section}/unknown_key", ["decide", "--answers", "{a}"],
                   {"a": f"{section}:\n  no_such_key: 1\n"}, names="{a}", says=("unknown key",), group="answers")
        for fname, finfo in sub.model_fields.items():
            kind, choices = _kind(finfo.annotation)
            for vid, text in FIELD_VALUES.get(kind, []):
                if vid == "bool" and "yes" in choices:
                    continue  # YAML 1.1 reads an unquoted yes/no as a boolean; such fields take it back
                # the bad value on line 3, under a valid first section, so the line number is checkable
                body = f"risk:\n  customer_facing: true\n{section}:\n  {fname}: {text}\n"
                if section == "risk":
                    body = f"risk:\n  {fname}: {text}\n"
                line = 2 if section == "risk" else 4
                yield Case(f"answers/{section}.{fname}/{vid}", ["decide", "--answers", "{a}"], {"a": body},
                           names=f"{{a}}:{line}", says=(f"{section}.{fname}",) if vid != "digits_5000" else ("number",),
                           group="answers")


def answers_text_cases() -> Iterator[Case]:
    """Odd but valid: accepted (exit 0), and nothing that drives a terminal reaches stdout."""
    for vid, text in [("csi", "\\e[2J\\e[31mred"), ("osc_title", "\\e]0;pwned\\a"), ("c1_csi", "\\x9b2J"),
                      ("bidi", "\\u202eevil"), ("carriage_return", "fake\\rline"), ("bell", "\\a\\a")]:
        body = f'task:\n  description: "Route tickets {text}"\n'
        for fmt in ("md", "text", "json"):
            yield Case(f"answers/task.description/{vid}/{fmt}", ["decide", "--answers", "{a}", "--format", fmt],
                       {"a": body}, codes=(0,), no_escape_out=True, json_out=fmt == "json", group="answers")


def yaml_cases() -> Iterator[Case]:
    for oid, text, says in YAML_ODDITIES:
        yield Case(f"yaml/answers/{oid}", ["decide", "--answers", "{a}"], {"a": text},
                   names="{a}", says=(says,), group="yaml")
        yield Case(f"yaml/stdin/{oid}", ["decide", "--answers", "-"], stdin=text.encode(),
                   names="<stdin>", says=(says,), group="yaml")
        yield Case(f"yaml/probe_config/{oid}", ["probe", "--config", "{c}"], {"c": text, "eval.jsonl": EVAL_JSONL},
                   names="{c}", says=(says.replace("expected a mapping", "expected a mapping of config keys"),),
                   group="yaml")
    yield Case("yaml/answers/bom_is_fine", ["decide", "--answers", "{a}", "--format", "json"],
               {"a": "\ufeff" + GOOD_ANSWERS}, codes=(0,), json_out=True, group="yaml")
    yield Case("yaml/answers/over_size_limit", ["decide", "--answers", "{a}"],
               {"a": "# " + "x" * (1024 * 1024 + 10) + "\n"}, names="{a}", says=("limit",), group="yaml")
    yield Case("yaml/stdin/over_size_limit", ["decide", "--answers", "-"], stdin=b"#" * (1024 * 1024 + 10),
               names="<stdin>", says=("limit",), group="yaml")
    yield Case("yaml/stdin/not_utf8", ["decide", "--answers", "-"], stdin=b"task:\n  description: \xff\xfe\n",
               names="<stdin>:2", says=("not UTF-8",), group="yaml")


#: JSON inputs: (surface id, argv with {f} for the hostile file, the other files it needs)
def json_surfaces() -> list[tuple[str, list[str], dict[str, Content]]]:
    return [
        ("decide--triage", ["decide", "--answers", "{a}", "--triage", "{f}"], {"a": GOOD_ANSWERS}),
        ("decide--evidence", ["decide", "--answers", "{a}", "--evidence", "{f}"], {"a": GOOD_ANSWERS}),
        ("triage--probe", ["triage", "--probe", "{f}", "--format", "json"], {}),
        ("triage--log", ["triage", "--log", "{f}", "--format", "json"], {}),
        ("triage--train", ["triage", "--train", "{f}", "--format", "json"], {}),
        ("triage--eval", ["triage", "--train", "{t}", "--eval", "{f}", "--format", "json"], {"t": TRAIN}),
        ("probe_eval_set", ["probe", "--config", "{c}"], {"c": probe_config(eval_set="f")}),
        ("probe_schema", ["probe", "--config", "{c}"],
         {"c": probe_config(scorer="{type: json_schema, schema: f}"), "eval.jsonl": EVAL_JSONL}),
    ]


def json_cases() -> Iterator[Case]:
    for sid, argv, extra in json_surfaces():
        for oid, text, says in JSON_ODDITIES:
            # A log or dataset of JSON-looking lines may be read another way (JSONL, CSV, stdout),
            # so those surfaces may name a different problem; the file and exit 2 are what hold.
            loose = sid.startswith("triage--") and sid != "triage--probe"
            yield Case(f"json/{sid}/{oid}", argv, {**extra, "f": text}, names="{f}",
                       says=() if loose else (says,), group="json")
        yield Case(f"json/{sid}/not_utf8", argv, {**extra, "f": NOT_UTF8}, names="{f}", says=("not UTF-8",),
                   group="json")


def report_key_cases() -> Iterator[Case]:
    """Hand-edited or other-version reports: the key named, never an AttributeError."""
    def triage_with(path: tuple, value: Any) -> str:
        d = triage_report()
        cur: Any = d
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value
        return json.dumps(d)

    triage_edits = [
        (("causes",), "not a list", "causes"), (("findings",), {"a": 1}, "findings"),
        (("causes", 0, "id"), 7, "causes[0].id"), (("causes", 0, "rank"), "first", "causes[0].rank"),
        (("causes", 0, "confidence"), "high", "causes[0].confidence"),
        (("causes", 0, "evidence"), "one string", "causes[0].evidence"),
        (("causes", 0, "fixes"), [1, {"a": 2}], "causes[0].fixes"),
        (("findings", 0, "severity"), "fatal", "findings[0].severity"),
        (("findings", 0, "detail"), None, "findings[0].detail"),
        (("findings", 0, "evidence"), [1, 2], "findings[0].evidence"),
        (("best_checkpoint",), "step 3", "best_checkpoint"),
        (("best_checkpoint", "step"), "three", "best_checkpoint.step"),
        (("best_checkpoint", "eval_loss"), [0.5], "best_checkpoint.eval_loss"),
        (("curves",), {"train": 1}, "curves"),
        (("curves", 0, "points"), [["a", "b"]], "curves[0].points"),
        (("curves", 0, "kind"), "loss", "curves[0].kind"),
        (("inputs",), [], "inputs"),
    ]
    for path, value, key in triage_edits:
        yield Case(f"report/triage/{key}", ["decide", "--answers", "{a}", "--triage", "{f}"],
                   {"a": GOOD_ANSWERS, "f": triage_with(path, value)}, names="{f}", says=(f"key '{key}",),
                   group="report")
    base = json.loads(PROBE_REPORT)

    def probe_with(edit: Callable[[dict], None]) -> str:
        d = json.loads(json.dumps(base))
        edit(d)
        return json.dumps(d)

    def set_(key: str, value: Any) -> Callable[[dict], None]:
        return lambda d: d["suites"][0].__setitem__(key, value)

    probe_edits = [
        ("suites[0].delta", set_("delta", "big")), ("suites[0].ci95", set_("ci95", "wide")),
        ("suites[0].ci95", set_("ci95", [1, 2, 3])), ("suites[0].n", set_("n", "many")),
        ("suites[0].verdict", set_("verdict", "maybe")), ("suites[0].base", set_("base", "model")),
        ("suites[0].base.mean", set_("base", {"mean": "high"})), ("suites[0].candidate", set_("candidate", [1])),
        ("suites[0].drop", set_("drop", "a lot")), ("suites[0].drop.base", set_("drop", {"base": "x"})),
        ("suites[0].context_gain", set_("context_gain", {"base": 3})), ("suites[0].id", set_("id", None)),
        ("suites[0]", lambda d: d["suites"].__setitem__(0, "task")), ("suites", lambda d: d.__setitem__("suites", {})),
        ("warnings", lambda d: d.__setitem__("warnings", "careful")),
        ("models", lambda d: d.__setitem__("models", ["a", "b"])),
        ("cost_usd", lambda d: d.__setitem__("cost_usd", "cheap")),
    ]
    for i, (key, edit) in enumerate(probe_edits):
        text = probe_with(edit)
        for sid, argv in (("decide--evidence", ["decide", "--answers", "{a}", "--evidence", "{f}"]),
                          ("triage--probe", ["triage", "--probe", "{f}"])):
            yield Case(f"report/{sid}/{i:02d}-{key}", argv, {"a": GOOD_ANSWERS, "f": text}, names="{f}",
                       says=(f"key '{key}",), group="report")
    # the wrong kind of report, and an answers file where a report belongs
    yield Case("report/triage_given_a_probe_report", ["decide", "--answers", "{a}", "--triage", "{f}"],
               {"a": GOOD_ANSWERS, "f": PROBE_REPORT}, names="{f}", says=("not a triage report",), group="report")
    yield Case("report/evidence_given_a_triage_report", ["decide", "--answers", "{a}", "--evidence", "{f}"],
               {"a": GOOD_ANSWERS, "f": json.dumps(triage_report())}, names="{f}", says=("not a probe report",),
               group="report")


def probe_config_cases() -> Iterator[Case]:
    from advisor.core.probe.config import ProbeConfig

    values = [("list", "[1, 2]"), ("map", "{x: 1}"), ("negative", "-5"), ("inf", ".inf"), ("nan", ".nan"),
              ("huge", "1" + "0" * 40), ("word", "lots")]
    for key, info in ProbeConfig.model_fields.items():
        for vid, text in values:
            kind, _ = _kind(info.annotation)
            if kind == "str" and vid in ("negative", "huge", "word"):
                continue  # a number or word is a valid string value
            if kind == "other" and vid == "map" and key not in ("suites",):
                continue  # nested sections take a mapping
            if key in ("seed",) and vid in ("negative", "huge"):
                continue  # any integer is a seed
            if key == "scorer" and vid == "word":
                continue  # an unknown scorer name: covered by the literal check below
            yield Case(f"probe_config/{key}/{vid}", ["probe", "--config", "{c}"],
                       {"c": probe_config(**{key: text}), "eval.jsonl": EVAL_JSONL},
                       names="{c}", says=(key,), group="probe_config")
    for key, text in [("unknown_key", "1"), ("scorer", "telepathy"), ("suites", "[task, task]"),
                      ("suites", "[]"), ("suites", "[vibes]"), ("shift", "{perturbations: [earthquake]}"),
                      ("stats", "{resamples: 1}"), ("models", "{base: openai/x}"), ("format", "{schema: 5}")]:
        yield Case(f"probe_config/{key}/{text}", ["probe", "--config", "{c}"],
                   {"c": probe_config(**{key: text}), "eval.jsonl": EVAL_JSONL},
                   names="{c}", says=(key.replace("unknown_key", "unknown key"),), group="probe_config")


def eval_set_cases() -> Iterator[Case]:
    lines = [
        ("no_input", '{"expected": "billing"}', "input"),
        ("input_not_text", '{"input": ["a"], "expected": "billing"}', "input"),
        ("empty_input", '{"input": "", "expected": "billing"}', "input"),
        ("unknown_key", '{"input": "a", "expected": "b", "label": 1}', "unknown key"),
        ("nan_expected", '{"input": "a", "expected": NaN}', "NaN"),
        ("int_5000", '{"input": "a", "expected": ' + "9" * 5000 + "}", "4300 digits"),
        ("deep", '{"input": "a", "context": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
        ("line_array", '["input", "a"]', "expected a JSON object"),
        ("duplicate_id", '{"id": "x", "input": "a"}\n{"id": "x", "input": "b"}', "duplicate id (first on line 2)"),
        ("choices_not_list", '{"input": "a", "choices": "billing"}', "choices"),
    ]
    for lid, text, says in lines:
        body = EVAL_JSONL.splitlines()[0] + "\n" + text + "\n"
        yield Case(f"eval_set/{lid}", ["probe", "--config", "{c}"], {"c": probe_config(), "eval.jsonl": body},
                   names="{eval.jsonl}:" + ("3" if lid == "duplicate_id" else "2"), says=(says,), group="eval_set")
    yield Case("eval_set/only_blank_lines", ["probe", "--config", "{c}"], {"c": probe_config(), "eval.jsonl": "\n\n"},
               names="{eval.jsonl}", says=("no cases",), group="eval_set")


def log_and_dataset_cases() -> Iterator[Case]:
    """Logs and datasets that are odd but readable: no traceback, strict JSON out, or exit 2 naming the file."""
    state = json.loads(TRIAGE_LOG)
    hist = state["log_history"]

    def with_hist(rows: list) -> str:
        return json.dumps({**state, "log_history": rows})

    odd = [
        ("nan_step", with_hist([{**hist[0], "step": float("nan")}] + hist[1:])),
        ("inf_step", with_hist([{**hist[0], "step": float("inf")}] + hist[1:])),
        ("nan_loss_everywhere", with_hist([{**r, "loss": float("nan")} for r in hist if "loss" in r])),
        ("huge_loss", with_hist([{**hist[0], "loss": 1e308 * 10}] + hist[1:])),
        ("int_400_digit_loss", with_hist([{**hist[0], "loss": 10 ** 400}] + hist[1:])),
        ("log_history_string", json.dumps({**state, "log_history": "none"})),
        ("log_history_numbers", json.dumps({**state, "log_history": [1, 2, 3]})),
        ("step_is_text", with_hist([{**hist[0], "step": "ten"}] + hist[1:])),
        ("empty_history", with_hist([])),
        ("csv_inf_cells", "step,loss\n1,inf\n2,-inf\n3,nan\n4,1e999\n"),
        ("csv_huge_int", "step,loss\n1," + "9" * 5000 + "\n2,1.0\n"),
        ("csv_only_header", "step,loss\n"),
        ("jsonl_deep_row", '{"step": 1, "loss": 1.0}\n{"step": 2, "loss": ' + "[" * 5000 + "]" * 5000 + "}\n"),
        ("stdout_huge_number", "{'loss': " + "9" * 5000 + ", 'epoch': 0.1}\n{'loss': 1.0, 'epoch': 0.2}\n"),
    ]
    for oid, text in odd:
        yield Case(f"log/{oid}", ["triage", "--log", "{f}", "--format", "json"], {"f": text}, codes=(0, 2),
                   names="{f}", json_out=True, group="log")
    rows = []
    for x in TRAIN.splitlines():
        try:
            rows.append(json.loads(x))
        except ValueError:
            continue  # the fixture has deliberately broken lines
    ds = [
        ("messages_not_list", json.dumps({"messages": "hi"})),
        ("content_deep", json.dumps({"messages": [{"role": "user", "content": "a"}]})[:-3] + "[" * 5000),
        ("surrogate", '{"messages": [{"role": "user", "content": "\\ud800"}, {"role": "assistant", "content": "x"}]}'),
        ("huge_int", '{"prompt": "a", "completion": ' + "9" * 5000 + "}"),
        ("nan_field", '{"prompt": "a", "completion": NaN}'),
        ("array_deep", "[" * 100_000),
        ("array_unclosed", '[{"prompt": "a", "completion": "b"}'),
    ]
    for oid, text in ds:
        body = "\n".join(json.dumps(r) for r in rows[:3]) + "\n" + text + "\n" if not text.startswith("[") else text
        yield Case(f"dataset/{oid}", ["triage", "--train", "{f}", "--format", "json"], {"f": body}, codes=(0, 2),
                   names="{f}", json_out=True, group="dataset")


#: Every path option, with the files the rest of its command line needs.
def path_options() -> list[tuple[str, list[str], dict[str, Content]]]:
    return [
        ("decide--answers", ["decide", "--answers", "{f}"], {}),
        ("decide--triage", ["decide", "--answers", "{a}", "--triage", "{f}"], {"a": GOOD_ANSWERS}),
        ("decide--evidence", ["decide", "--answers", "{a}", "--evidence", "{f}"], {"a": GOOD_ANSWERS}),
        ("triage--log", ["triage", "--log", "{f}"], {}),
        ("triage--train", ["triage", "--train", "{f}"], {}),
        ("triage--eval", ["triage", "--eval", "{f}"], {}),
        ("triage--probe", ["triage", "--probe", "{f}"], {}),
        ("probe--config", ["probe", "--config", "{f}"], {}),
        ("probe_eval_set", ["probe", "--config", "{c}"], {"c": probe_config(eval_set="f")}),
        ("probe_schema", ["probe", "--config", "{c}"],
         {"c": probe_config(scorer="{type: json_schema, schema: f}"), "eval.jsonl": EVAL_JSONL}),
    ]


def special_file_cases() -> Iterator[Case]:
    for oid, argv, extra in path_options():
        for sid, content, says in SPECIAL_FILES:
            yield Case(f"special/{oid}/{sid}", argv, {**extra, "f": content}, names="{f}", says=(says,),
                       group="special")
        for bid, rel, says in BAD_PATHS:
            files = {**extra, "plain.txt": "x"}
            args = [a.replace("{f}", "{dir}/" + rel) for a in argv]
            if oid in ("probe_eval_set", "probe_schema"):
                c = extra["c"]
                files["c"] = c.replace("eval_set: f", f"eval_set: {rel}").replace("schema: f", f"schema: {rel}")
                args = argv
            yield Case(f"special/{oid}/{bid}", args, files, names="{dir}/" + rel, says=(says,), group="special")


def output_cases() -> Iterator[Case]:
    """Where results are written: -o onto things that are not a plain file in a folder."""
    for sid, rel, content, says in [
        ("directory", "out", ("", "dir"), "is a directory"),
        ("fifo_without_reader", "out", ("", "fifo"), "no reader"),
        ("dev_full", "out", ("", "devfull"), "no space left"),
        ("under_a_file", "plain.txt/out.md", None, "is a file, not a folder"),
        ("name_too_long", "n" * 300, None, "file name too long"),
        ("symlink_loop", "out", ("", "symlink_loop"), "symbolic links"),
        ("missing_folder", "nowhere/out.md", None, "folder does not exist"),
    ]:
        files: dict[str, Content] = {"a": GOOD_ANSWERS, "plain.txt": "x"}
        if content is not None:
            files[rel] = content
        for cmd in (["decide", "--answers", "{a}"], ["triage", "--symptom", "worse_everything"]):
            yield Case(f"output/{cmd[0]}/{sid}", cmd + ["-o", "{dir}/" + rel], files, names="{dir}/" + rel,
                       says=(says,), group="output")
    yield Case("output/dev_null_is_fine", ["decide", "--answers", "{a}", "-o", "/dev/null"], {"a": GOOD_ANSWERS},
               codes=(0,), group="output")


def cache_cases() -> Iterator[Case]:
    """The probe cache path: refused before any request when it cannot be a database."""
    for sid, rel, content, says in [
        ("under_a_file", "plain.txt/cache.sqlite", None, "is a file, not a folder"),
        ("fifo", "cache.sqlite", ("", "fifo"), "named pipe"),
        ("directory", "cache.sqlite", ("", "dir"), "is a directory"),
        ("not_a_database", "cache.sqlite", "this is not sqlite " * 100, "probe cache"),
        ("name_too_long", "n" * 300, None, "file name too long"),
    ]:
        files: dict[str, Content] = {"c": probe_config(), "eval.jsonl": EVAL_JSONL, "plain.txt": "x"}
        if content is not None:
            files[rel] = content
        yield Case(f"cache/{sid}", ["probe", "--config", "{c}", "--cache", "{dir}/" + rel], files,
                   names="{dir}/" + rel, says=(says,), group="cache")


def option_cases() -> Iterator[Case]:
    """Out-of-range numbers on the command line: the same bounds as in the files."""
    for flag, value, says in [("--lr", "inf", "--lr"), ("--lr", "nan", "--lr"), ("--lr", "-inf", "--lr"),
                              ("--epochs", "inf", "--epochs"), ("--epochs", "nan", "--epochs"),
                              ("--lr", "1e999", "--lr"), ("--lr", "0", "--lr")]:
        yield Case(f"option/triage{flag}={value}", ["triage", flag, value], says=(says,), group="option")
    for value in ("inf", "nan", "-1", "lots"):
        yield Case(f"option/probe--budget-usd={value}", ["probe", "--config", "{c}", "--budget-usd", value],
                   {"c": probe_config(), "eval.jsonl": EVAL_JSONL}, says=("--budget-usd",), group="option")
    yield Case("option/decide--date", ["decide", "--answers", "{a}", "--date", "2026-13-45"], {"a": GOOD_ANSWERS},
               says=("--date",), group="option")


def cases() -> list[Case]:
    """The whole corpus, in a stable order with unique ids."""
    out: list[Case] = []
    for gen in (answers_field_cases, answers_text_cases, yaml_cases, json_cases, report_key_cases,
                probe_config_cases, eval_set_cases, log_and_dataset_cases, special_file_cases, output_cases,
                cache_cases, option_cases):
        out.extend(gen())
    ids = [c.id for c in out]
    dup = {i for i in ids if ids.count(i) > 1}
    assert not dup, f"duplicate case ids: {sorted(dup)[:5]}"
    return out


# -- making the files -----------------------------------------------------------

def materialize(case: Case, folder: Path) -> dict[str, str]:
    """Write the case's files into ``folder``; return ``{name: path}`` (plus ``dir``)."""
    paths: dict[str, str] = {"dir": str(folder)}
    for name, content in case.files.items():
        p = folder / name
        paths[name] = str(p)
        if isinstance(content, tuple):
            kind = content[1]
            if kind == "fifo":
                os.mkfifo(p)
            elif kind == "dir":
                p.mkdir()
                (p / "inside").write_text("x")
            elif kind == "symlink_loop":
                os.symlink(p, p)
            elif kind in ("devzero", "devnull", "devfull"):
                os.symlink({"devzero": "/dev/zero", "devnull": "/dev/null", "devfull": "/dev/full"}[kind], p)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    return paths


def fill(text: str, paths: dict[str, str]) -> str:
    for name, path in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace("{" + name + "}", path)
    return text
