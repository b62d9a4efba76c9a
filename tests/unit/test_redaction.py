"""Redaction: every pattern on its own, with keys of the shapes real providers issue.

Each pattern has cases that only it catches (a key that is not ``sk-``-shaped,
a bearer token in no variable, an ``sk-`` key in no variable), so dropping any
one pattern, or any one secret word, fails a test here.
"""

from __future__ import annotations

import pytest

from advisor.core.redact import REDACTED, redact, secret_values

# Key shapes that do not start with sk-: only the environment pattern can catch them.
NOT_SK = {
    "hex (Azure-style)": "3f9a1c0e7b2d4a6f8e1c3b5d7f9a0c2e",
    "hf_ token": "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    "github token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "base64 with / + =": "wJalrXUtnFEMI/K7MDENG/bPxRfiCY+EXAMPLE==",
    "uuid": "0b7c5a4e-9f1d-4c3a-8e2b-6d5f4a3c2b1a",
    "six characters": "zq81x7",
}


def msg(secret: str) -> str:
    return f"401 Unauthorized: Incorrect API key provided: {secret}. Check your key."


# -- values of secret-named environment variables ----------------------------------

@pytest.mark.parametrize("name", ["ANTHROPIC_API_KEY", "HF_TOKEN", "CLIENT_SECRET", "DB_PASSWORD"])
@pytest.mark.parametrize("shape", list(NOT_SK))
def test_each_secret_word_in_a_variable_name_redacts_its_value(name, shape):
    secret = NOT_SK[shape]
    out = redact(msg(secret), {name: secret})
    assert secret not in out
    assert out == msg(REDACTED)  # the rest of the message is kept, word for word


@pytest.mark.parametrize("name", ["openai_api_key", "Hf_Token", "myKeyring", "github_pat_token", "AWS_SECRET_ACCESS_KEY",
                                  "PGPASSWORD"])
def test_the_name_match_ignores_case_and_position(name):
    secret = NOT_SK["hex (Azure-style)"]
    assert redact(msg(secret), {name: secret}) == msg(REDACTED)


@pytest.mark.parametrize("name", ["HOME", "MODEL_NAME", "OPENAI_API_BASE", "PATH", "USER"])
def test_values_of_ordinary_variables_are_left_alone(name):
    value = "/srv/models/llama-3-8b-instruct"
    text = f"could not load {value}"
    assert redact(text, {name: value}) == text


def test_short_values_are_settings_not_secrets():
    # TOKENIZERS_PARALLELISM=false has TOKEN in its name; "false" must not vanish from messages
    env = {"TOKENIZERS_PARALLELISM": "false", "API_KEY_ROTATION": "daily"}
    text = "stream=false, rotation daily"
    assert redact(text, env) == text
    five, six = "ab3d5", "ab3d5f"
    assert redact(f"key {five}", {"X_KEY": five}) == f"key {five}"
    assert redact(f"key {six}", {"X_KEY": six}) == f"key {REDACTED}"


def test_empty_and_unset_values_do_not_blank_the_text():
    assert redact("nothing to hide", {"OPENAI_API_KEY": ""}) == "nothing to hide"
    assert secret_values({"OPENAI_API_KEY": "", "HOME": "/root"}) == []


def test_every_occurrence_and_every_key_is_redacted():
    a, b = NOT_SK["hf_ token"], NOT_SK["uuid"]
    text = f"tried {a}, then {b}, then {a} again"
    assert redact(text, {"HF_TOKEN": a, "BACKUP_API_KEY": b}) == f"tried {REDACTED}, then {REDACTED}, then {REDACTED} again"


@pytest.mark.parametrize("short,long", [
    ("abcdef123456", "abcdef123456789xyzSUFFIX"),  # the longer one sorts after the shorter
    ("zz-secret-42", "aa-prefix-zz-secret-42"),      # ... and before it
])
def test_a_key_containing_another_keys_value_is_redacted_whole(short, long):
    # whichever order the environment lists them in, no part of the longer key survives
    for env in ({"A_KEY": short, "B_KEY": long}, {"B_KEY": long, "A_KEY": short}):
        out = redact(f"got {long}", env)
        assert out == f"got {REDACTED}", out
        assert long.replace(short, "") not in out


def test_the_default_environment_is_the_process_environment(monkeypatch):
    secret = NOT_SK["github token"]
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    assert redact(msg(secret)) == msg(REDACTED)
    monkeypatch.delenv("GITHUB_TOKEN")
    assert redact(msg(secret)) == msg(secret)


# -- sk- keys, wherever they come from ---------------------------------------------

@pytest.mark.parametrize("key", [
    "sk-abcdefgh",  # the shortest that counts: sk- and eight key characters
    "sk-proj-AbC123_dEf456-GhI789jKl012MnO345",
    "sk-ant-api03-Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0",
    "sk-or-v1-0123456789abcdef0123456789abcdef",
])
def test_sk_keys_are_redacted_even_in_no_variable(key):
    assert redact(msg(key), {}) == msg(REDACTED)


@pytest.mark.parametrize("text", [
    "sk-abcdefg is too short to be a key",     # seven characters after sk-
    "a task-12345678 id",                       # "sk-" inside a word is not a key prefix
    "the risk-assessment-2026 suite",
    "disk-usage-report-123456",
])
def test_words_that_only_look_like_sk_keys_are_kept(text):
    assert redact(text, {}) == text


# -- bearer credentials (an echoed Authorization header) ---------------------------

@pytest.mark.parametrize("token", [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",  # a JWT
    "ya29.a0AfH6SMBx-gcp_access_token_0123456789",
    "AbCdEfGh+IjKl/MnOp==",
    "12345678",
])
def test_bearer_credentials_are_redacted_even_in_no_variable(token):
    for header in ("Authorization: Bearer ", "authorization: bearer ", "Bearer\t"):
        assert redact(f"proxy said: {header}{token} (rejected)", {}) == f"proxy said: {header}{REDACTED} (rejected)"


def test_prose_about_bearer_tokens_is_kept():
    text = "Bearer tokens expire; send a Bearer header"
    assert redact(text, {}) == text


def test_redaction_is_idempotent_and_leaves_plain_text_alone():
    text = f"Bearer {NOT_SK['uuid']} and sk-{'x' * 20} and {NOT_SK['hex (Azure-style)']}"
    env = {"AZURE_API_KEY": NOT_SK["hex (Azure-style)"]}
    once = redact(text, env)
    assert once.count(REDACTED) == 3 and redact(once, env) == once
    assert redact("connection refused (127.0.0.1:9)", env) == "connection refused (127.0.0.1:9)"
