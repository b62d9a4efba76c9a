"""`advisor COMMAND ...` builds only that command's parser: the same options, help and errors as the full one."""

from __future__ import annotations

import argparse

import pytest

from advisor.cli import COMMANDS, build_parser
from advisor.errors import UserError


def _sub(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("name", COMMANDS)
def test_one_command_parser_matches_the_full_one(name):
    full, one = build_parser(), build_parser(name)
    assert _sub(one, name).format_help() == _sub(full, name).format_help()
    assert _sub(one, name).format_usage() == _sub(full, name).format_usage()
    with pytest.raises(UserError) as a:
        full.parse_args([name, "--no-such-option"])
    with pytest.raises(UserError) as b:
        one.parse_args([name, "--no-such-option"])
    assert str(a.value) == str(b.value)


def test_one_command_parser_parses_the_same_namespace():
    argv = ["triage", "--log", "trainer_state.json", "--format", "json", "--lr", "2e-4"]
    assert vars(build_parser("triage").parse_args(argv)) == vars(build_parser().parse_args(argv))
