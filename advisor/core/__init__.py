"""The headless core: models, knowledge, decide engine, triage, probes, records.

Nothing under ``advisor.core`` imports textual, questionary, rich or litellm at
module level; ``tests/unit/test_import_hygiene.py`` proves it in a subprocess.
"""

#: The contracts' schema version (re-exported by :mod:`advisor.core.schemas`): bumped only when a key is
#: renamed or removed or its meaning changes; new keys keep it. Defined here so writing a report needs no
#: schema models.
SCHEMA_VERSION = 1
