"""The app's remembered settings (today: the theme), in the user's config folder.

The file is ``settings.json`` in ``platformdirs.user_config_dir("advisor")``
(``~/.config/advisor`` on Linux), or in ``$ADVISOR_CONFIG_DIR`` when that is
set (the tests point it at a temporary folder). It is written atomically
whenever a setting changes. A missing file means the defaults; an unreadable
one is reported once and then replaced by the next change, never raised.

Headless on purpose (no textual import): reading it costs one small file read
at start-up.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from advisor.errors import UserError

ENV_CONFIG_DIR = "ADVISOR_CONFIG_DIR"
FILE_NAME = "settings.json"


def config_dir() -> Path:
    """The folder advisor keeps its settings in (``$ADVISOR_CONFIG_DIR`` wins)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("advisor", appauthor=False))


def settings_path() -> Path:
    """Where the settings file is (it may not exist yet)."""
    return config_dir() / FILE_NAME


def load_settings(path: Optional[Path] = None) -> tuple[dict[str, Any], Optional[str]]:
    """The saved settings, and a message when the file exists but cannot be used.

    Returns:
        ``(settings, problem)``: ``settings`` is ``{}`` when there is no usable file;
        ``problem`` names the file and what is wrong with it, or is ``None``.
    """
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as e:
        return {}, f"{path}: cannot read the settings ({getattr(e, 'strerror', None) or e}); using the defaults"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return {}, f"{path}: line {e.lineno}: not valid JSON ({e.msg}); using the defaults"
    if not isinstance(data, dict):
        return {}, f"{path}: expected a JSON object of settings; using the defaults"
    return data, None


def save_settings(changes: dict[str, Any], path: Optional[Path] = None) -> Path:
    """Merge ``changes`` into the settings file and write it atomically.

    Raises:
        UserError: the folder or the file cannot be written (the message names it).
    """
    from advisor.core.io import atomic_write

    path = path or settings_path()
    current, _ = load_settings(path)
    current.update(changes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create the settings folder: {e.strerror or e}", file=str(path.parent)) from None
    atomic_write(path, json.dumps(current, indent=2, sort_keys=True) + "\n")
    return path
