"""Checks that docs/formats.md, the JSON Schemas and real outputs agree (used by the format tests).

The doc's JSON examples are parsed; every key they show must be declared in the
strict schema generated from advisor.core.schemas, and every real output must
validate against that strict schema (so an undeclared key fails, naming it).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from tests.conftest import ROOT

FORMATS = ROOT / "docs" / "formats.md"


def section(number: int) -> str:
    """The text of docs/formats.md section ``number`` (``## N. ...`` up to the next ``## ``)."""
    text = FORMATS.read_text(encoding="utf-8")
    m = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, flags=re.S | re.M)
    assert m, f"docs/formats.md has no section {number}"
    return m.group(0)


def json_examples(number: int) -> list[Any]:
    """Every ```json block of a section, parsed (the doc's examples must be valid JSON)."""
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section(number), flags=re.S)]


def _resolve(schema: dict, root: dict) -> list[dict]:
    """A node's alternatives, with $ref followed and anyOf/oneOf flattened."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return _resolve(root["$defs"][name], root)
    alts = schema.get("anyOf") or schema.get("oneOf")
    if alts:
        return [r for a in alts for r in _resolve(a, root)]
    return [schema]


def undeclared_keys(example: Any, schema: dict, root: dict | None = None, path: str = "") -> list[str]:
    """Key paths in ``example`` that the schema does not declare (objects with free-form values pass)."""
    root = root or schema
    missing: list[str] = []
    nodes = _resolve(schema, root)
    if isinstance(example, dict):
        objs = [n for n in nodes if n.get("type") == "object" or "properties" in n]
        if not objs:
            return [path or "(top)"]
        for key, value in example.items():
            holders = [n for n in objs if key in n.get("properties", {})]
            if holders:
                sub = [undeclared_keys(value, h["properties"][key], root, f"{path}.{key}".lstrip(".")) for h in holders]
                missing += min(sub, key=len)
            elif not any(n.get("additionalProperties") not in (None, False) for n in objs):
                if "..." not in key:
                    missing.append(f"{path}.{key}".lstrip("."))
    elif isinstance(example, list):
        for n in nodes:
            if "items" in n and isinstance(n["items"], dict):
                for item in example:
                    if isinstance(item, (dict, list)):
                        missing += undeclared_keys(item, n["items"], root, path + "[]")
                break
    return missing


def validate(output: dict, schema: dict) -> None:
    """Validate a real output; on failure, say which key and how to fix it."""
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(output), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        raise AssertionError(
            f"output does not match its schema at {where}: {e.message}. A new or changed key must be "
            "declared on its model in advisor/core/schemas.py and shown in docs/formats.md "
            f"({len(errors)} problem(s))"
        )
