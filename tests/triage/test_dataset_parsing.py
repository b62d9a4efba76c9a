"""How each dataset format is read: the format each key set is taken for, the input, output,
system prompt and rejected answer drawn from an example, and the message for each way an
example can be malformed.

Each row is an example written by hand in the format's own documented shape (OpenAI chat and
DPO, TRL preference, Alpaca, Dolly, SQuAD, Gemini) and the reading a person would give it; the
messages are the ones a user sees in a ``format_error`` finding, so they are pinned word for word.
"""

from __future__ import annotations

import json

import pytest

from advisor.core.triage import data

U = {"role": "user", "content": "Q"}
A = {"role": "assistant", "content": "A"}


def read(obj, fields=None):
    """(format, (input, output, system, rejected)) or (format, the error message)."""
    fmt = "fields" if fields else data._detect(obj)
    try:
        ex = data._mapped(obj, fields, 7) if fields else data._extract(obj, fmt, 7)
    except data._Bad as e:
        return fmt, str(e)
    assert ex.line == 7
    return fmt, (ex.input, ex.output, ex.system, ex.rejected)


# --------------------------------------------------------------------------- which format a key set is
@pytest.mark.parametrize("keys, fmt", [
    ({"messages": [], "prompt": "", "completion": ""}, "chat"),
    ({"contents": []}, "gemini"),
    ({"contents": "not a list"}, None),
    ({"preferred_output": 1}, "openai_dpo"),
    ({"non_preferred_output": 1}, "openai_dpo"),
    ({"prompt": "", "chosen": "", "rejected": ""}, "preference"),
    ({"chosen": ""}, None),
    ({"rejected": ""}, None),
    ({"prompt": "", "completion": "", "instruction": "", "output": ""}, "prompt_completion"),
    ({"prompt": ""}, None),
    ({"completion": ""}, None),
    ({"instruction": "", "output": ""}, "alpaca"),
    ({"instruction": "", "response": ""}, "instruction_response"),
    ({"instruction": ""}, None),
    ({"response": ""}, None),
    ({"question": "", "answer": ""}, "question_answer"),
    ({"question": "", "answers": []}, "question_answer"),
    ({"question": ""}, None),
    ({"answer": ""}, None),
    ({"input": "", "output": ""}, "input_output"),
    ({"input": {"messages": []}, "output": ""}, None),
    ({"input": ""}, None),
    ({"output": ""}, None),
    ({"text": ""}, "text"),
    ({"text": "", "id": 1, "source": "x"}, "text"),
    ({"text": "", "id": 1, "source": "x", "lang": "en"}, None),
])
def test_the_format_is_read_from_the_keys(keys, fmt):
    assert data._detect(keys) == fmt


# --------------------------------------------------------------------------- what an example reads as
@pytest.mark.parametrize("obj, expect", [
    # OpenAI chat: system (and developer) prompts apart, the turns before the last reply as the input
    ({"messages": [{"role": "system", "content": "Be brief."}, U, A]}, ("user: Q", "A", "Be brief.", None)),
    ({"messages": [{"role": "system", "content": "S"}, {"role": "developer", "content": "D"}, U, A,
                   {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2"}]},
     ("user: Q\nassistant: A\nuser: Q2", "A2", "S\nD", None)),
    ({"messages": [U, A]}, ("user: Q", "A", None, None)),
    # content parts: the text parts joined, anything else skipped
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, "x",
                                                {"text": 5}, {"type": "text", "text": "b"}]}, A]},
     ("user: a b", "A", None, None)),
    # a tool call has no content (None or absent) and reads as empty
    ({"messages": [U, {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
                   {"role": "tool", "content": "42"}, A]}, ("user: Q\nassistant: \ntool: 42", "A", None, None)),
    ({"messages": [U, {"role": "assistant", "tool_calls": [{"id": "1"}]}, A]},
     ("user: Q\nassistant: ", "A", None, None)),
    # prompt/completion: strings, or message lists (the completion's last assistant turn)
    ({"prompt": "P", "completion": "C"}, ("P", "C", None, None)),
    ({"prompt": [U, {"role": "user", "content": "Q2"}], "completion": [A, {"role": "user", "content": "x"}]},
     ("Q\nQ2", "A", None, None)),
    ({"prompt": "P", "completion": [{"role": "user", "content": "only"}]}, ("P", "only", None, None)),
    # Alpaca: the input appended to the instruction on its own line
    ({"instruction": "Sum", "input": "1 2", "output": "3", "system": "calc"}, ("Sum\n1 2", "3", "calc", None)),
    ({"instruction": "Sum", "input": "", "output": "3"}, ("Sum", "3", None, None)),
    ({"instruction": "Sum", "output": "3", "system": 5}, ("Sum", "3", None, None)),
    # TRL preference: explicit prompt, prompt as messages, or the conversation before the last reply
    ({"prompt": "Q", "chosen": "A", "rejected": "B"}, ("Q", "A", None, "B")),
    ({"prompt": [U], "chosen": [A], "rejected": [{"role": "assistant", "content": "B"}]}, ("Q", "A", None, "B")),
    ({"chosen": [{"role": "system", "content": "S"}, U, A, {"role": "user", "content": "Q2"},
                 {"role": "assistant", "content": "A2"}],
      "rejected": [U, A, {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "B2"}]},
     ("user: Q\nassistant: A\nuser: Q2", "A2", None, "B2")),
    ({"chosen": [U, {"role": "user", "content": "Q2"}], "rejected": [U]}, ("user: Q\nuser: Q2", "Q2", None, "Q")),
    ({"chosen": "A", "rejected": "B"}, ("", "A", None, "B")),
    # Dolly: instruction, then the context on its own line
    ({"instruction": "I", "context": "C", "response": "R", "category": "qa"}, ("I\nC", "R", None, None)),
    ({"instruction": "I", "context": "", "response": "R"}, ("I", "R", None, None)),
    # question/answer: the context first; answers as a list or SQuAD's {"text": [...]}
    ({"question": "Q", "answer": "A"}, ("Q", "A", None, None)),
    ({"question": "Q", "context": "C", "answer": "A"}, ("C\nQ", "A", None, None)),
    ({"question": "Q", "answers": [1, "first", "second"]}, ("Q", "first", None, None)),
    ({"question": "Q", "answers": []}, ("Q", "", None, None)),
    ({"question": "Q", "answers": {"text": ["A1", "A2"], "answer_start": [0, 9]}}, ("Q", "A1", None, None)),
    # input/output, strings or messages
    ({"input": "I", "output": "O"}, ("I", "O", None, None)),
    ({"input": [U], "output": [A]}, ("Q", "A", None, None)),
    # Gemini: user|model turns of text parts, the system instruction in either spelling
    ({"contents": [{"role": "user", "parts": [{"text": "a"}, {"inline_data": {}}, {"text": "b"}]},
                   {"role": "model", "parts": [{"text": "c"}]}],
      "systemInstruction": {"parts": [{"text": "S"}, {"text": "T"}]}}, ("user: a b", "c", "S T", None)),
    ({"contents": [{"role": "user", "parts": [{"text": "x"}]}, {"role": "model", "parts": [{"text": "y"}]},
                   {"role": "function", "parts": []}, {"role": "model", "parts": [{"text": "z"}]}],
      "system_instruction": {"parts": [{"text": "S"}]}}, ("user: x\nassistant: y\nfunction: ", "z", "S", None)),
    ({"contents": [{"role": "model", "parts": [{"text": "y"}]}], "systemInstruction": {"parts": []}},
     ("", "y", None, None)),
    # OpenAI DPO
    ({"input": {"messages": [{"role": "system", "content": "S"}, U]},
      "preferred_output": [A], "non_preferred_output": [{"role": "assistant", "content": "B"}]},
     ("user: Q", "A", "S", "B")),
    ({"text": "hello"}, ("", "hello", None, None)),
])
def test_what_an_example_reads_as(obj, expect):
    assert read(obj)[1] == expect


# --------------------------------------------------------------------------- what a malformed example is told
ROLES = "assistant, developer, function, system, tool, user"


@pytest.mark.parametrize("obj, message", [
    ({"messages": "hi"}, "'messages' must be a non-empty list of messages"),
    ({"messages": []}, "'messages' must be a non-empty list of messages"),
    ({"messages": ["hi", A]}, "messages[0] must be an object with 'role' and 'content'"),
    ({"messages": [U, {"role": "bot", "content": "x"}]}, f"messages[1].role 'bot' is not one of: {ROLES}"),
    ({"messages": [U, {"role": "assistant"}]}, "messages[1] has no 'content'"),
    ({"messages": [U, {"role": "assistant", "content": 5}]}, "messages[1].content must be a string (got int)"),
    ({"messages": [U]}, "no assistant message: there is nothing to learn from this example"),
    ({"messages": [U, A, U]}, "the last message is from 'user': the example must end with the assistant's reply"),
    ({"prompt": 5, "completion": "C"}, "'prompt' must be a string or a list of messages (got int)"),
    ({"prompt": ["x"], "completion": "C"}, "prompt[0] must be an object with 'role' and 'content'"),
    ({"prompt": "P", "completion": [{"role": "x", "content": ""}]},
     f"completion[0].role 'x' is not one of: {ROLES}"),
    ({"instruction": 5, "output": "3"}, "'instruction' must be a string (got int)"),
    ({"instruction": "I", "output": None}, "'output' must be a string (got NoneType)"),
    ({"instruction": "I", "input": ["x"], "output": "3"}, "'input' must be a string (got list)"),
    ({"prompt": 5, "chosen": "A", "rejected": "B"}, "'prompt' must be a string or a list of messages (got int)"),
    ({"chosen": ["x"], "rejected": "B"}, "chosen[0] must be an object with 'role' and 'content'"),
    ({"prompt": "Q", "chosen": [], "rejected": "B"}, "'chosen' must be a non-empty list of messages"),
    ({"prompt": "Q", "chosen": "A", "rejected": []}, "'rejected' must be a non-empty list of messages"),
    ({"instruction": "I", "context": 5, "response": "R"}, "'context' must be a string (got int)"),
    ({"instruction": "I", "response": 5}, "'response' must be a string (got int)"),
    ({"instruction": [1], "response": "R"}, "'instruction' must be a string (got list)"),
    ({"question": 5, "answer": "A"}, "'question' must be a string (got int)"),
    ({"question": "Q", "context": [1], "answer": "A"}, "'context' must be a string (got list)"),
    ({"question": "Q", "answer": 5}, "'answer' must be a string, a list of strings or {'text': [...]} (got int)"),
    ({"input": 5, "output": "O"}, "'input' must be a string or a list of messages (got int)"),
    ({"input": "I", "output": []}, "'output' must be a non-empty list of messages"),
    ({"contents": ["x"]}, "contents[0] must be an object with role 'user' or 'model' and 'parts'"),
    ({"contents": [{"role": "assistant", "parts": []}]},
     "contents[0] must be an object with role 'user' or 'model' and 'parts'"),
    ({"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "model", "parts": "b"}]},
     "contents[1].parts must be a list of {'text': ...}"),
    ({"contents": [{"role": "model", "parts": []}, {"role": "user", "parts": []}]},
     "the last turn must be the model's reply (role 'model')"),
    ({"contents": []}, "the last turn must be the model's reply (role 'model')"),
    ({"input": {"messages": [U]}, "preferred_output": [A]}, "missing key 'non_preferred_output' (OpenAI DPO format)"),
    ({"preferred_output": [A], "non_preferred_output": [A]}, "missing key 'input' (OpenAI DPO format)"),
    ({"input": [U], "preferred_output": [A], "non_preferred_output": [A]}, "'input' must be an object with 'messages'"),
    ({"input": {"msgs": []}, "preferred_output": [A], "non_preferred_output": [A]},
     "'input' must be an object with 'messages'"),
    ({"input": {"messages": ["x"]}, "preferred_output": [A], "non_preferred_output": [A]},
     "input.messages[0] must be an object with 'role' and 'content'"),
    ({"input": {"messages": [U]}, "preferred_output": 5, "non_preferred_output": [A]},
     "'preferred_output' must be a non-empty list of messages"),
    ({"input": {"messages": [U]}, "preferred_output": [A], "non_preferred_output": 5},
     "'non_preferred_output' must be a non-empty list of messages"),
    ({"text": 5}, "'text' must be a string"),
])
def test_what_a_malformed_example_is_told(obj, message):
    assert read(obj)[1] == message


# --------------------------------------------------------------------------- --fields
F = {"prompt": "q", "completion": "a"}


@pytest.mark.parametrize("obj, fields, expect", [
    ({"q": "Q", "a": "A"}, F, ("Q", "A", None, None)),
    ({"q": "Q", "a": "A", "s": "S", "r": "B"}, {**F, "system": "s", "rejected": "r"}, ("Q", "A", "S", "B")),
    ({"q": "Q", "a": "A", "s": 5, "r": [A, {"role": "assistant", "content": "B"}]},
     {**F, "system": "s", "rejected": "r"}, ("Q", "A", None, "B")),
    ({"q": "Q", "a": "A", "s": "S", "r": "B"}, F, ("Q", "A", None, None)),  # unmapped keys are not read
    ({"q": "Q", "a": "A"}, {**F, "system": "s", "rejected": "r"}, ("Q", "A", None, None)),
    ({"q": [U], "a": [A]}, F, ("Q", "A", None, None)),
    ({"a": "A"}, F, "missing key 'q' (mapped to prompt by --fields)"),
    ({"q": "Q"}, F, "missing key 'a' (mapped to completion by --fields)"),
    ({"q": 5, "a": "A"}, F, "'q' must be a string or a list of messages (got int)"),
    ({"q": "Q", "a": ["x"]}, F, "a[0] must be an object with 'role' and 'content'"),
    ({"q": "Q", "a": "A", "r": ["x"]}, {**F, "rejected": "r"}, "r[0] must be an object with 'role' and 'content'"),
])
def test_fields_map_each_role_to_its_key(obj, fields, expect):
    assert read(obj, fields) == ("fields", expect)


# --------------------------------------------------------------------------- the errors a file gets, with its lines
def _scan(tmp_path, rows, fields=None, th=None):
    from advisor.core.triage.runbook import load_runbook

    p = tmp_path / "d.jsonl"
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return data.DatasetChecker(th or load_runbook().thresholds, fields=fields).scan_train(str(p))


def test_each_record_that_is_not_an_example_is_told_why_on_its_line(tmp_path):
    chat = {"messages": [U, A]}
    scan = _scan(tmp_path, [chat, "[1, 2]", '{"a": 1, "b": 2}', "{}", {"instruction": "I", "output": "O"},
                            "{not json", "", chat])
    expected_keys = "; ".join(f"{v} ({k})" for k, v in data.FORMAT_KEYS.items())
    assert scan.errors == [
        (2, "expected a JSON object (got list)"),
        (3, f"unrecognised example: expected the keys of one of {expected_keys}; got keys: a, b"),
        (4, f"unrecognised example: expected the keys of one of {expected_keys}; got keys: none"),
        (5, "has the keys of alpaca (instruction/input/output) but this file is chat (detected at line 1)"),
        (6, "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
    ]
    assert (scan.records, scan.error_count, scan.n, scan.format, scan.format_line) == (7, 5, 2, "chat", 1)


def test_an_unrecognised_example_lists_its_first_eight_keys(tmp_path):
    row = {f"k{i}": i for i in range(10)}
    scan = _scan(tmp_path, [row, {"messages": [U, A]}])
    assert scan.errors[0][1].endswith("; got keys: k0, k1, k2, k3, k4, k5, k6, k7")


def test_errors_are_counted_past_the_ten_listed(tmp_path):
    scan = _scan(tmp_path, [{"messages": [U, A]}] + [{"messages": [U]}] * 13)
    assert scan.error_count == 13 and [ln for ln, _ in scan.errors] == list(range(2, 12))
    assert scan.records == 14


def test_a_later_example_after_an_unrecognised_one_is_still_read(tmp_path):
    scan = _scan(tmp_path, [{"x": 1}, {"messages": [U, A]}, {"y": 1}, {"messages": [U, A]}])
    assert (scan.n, scan.format_line, [ln for ln, _ in scan.errors]) == (2, 2, [1, 3])
