"""The headless core: models, knowledge, decide engine, triage, probes, records.

Nothing under ``advisor.core`` imports textual, questionary, rich or litellm at
module level; ``tests/unit/test_import_hygiene.py`` proves it in a subprocess.
"""
