"""File input and output shared by every reader and writer.

* :func:`load_yaml` parses YAML and keeps the line of every key, so a
  validation error can point at ``answers.yaml:7``.
* :func:`validation_error` turns a pydantic error into one :class:`UserError`
  naming the file, the line, the key and what is allowed.
* :func:`atomic_write` writes through a temporary file and ``os.replace`` so an
  interrupted write never leaves a half-written record or session.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from advisor.errors import UserError

KeyPath = tuple[Any, ...]
# libyaml's C parser when present: the knowledge base loads several times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file or raise a :class:`UserError` saying why not."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise UserError("is a directory, expected a file", file=str(path)) from None
    except PermissionError:
        raise UserError("permission denied", file=str(path)) from None
    except UnicodeDecodeError as e:
        raise UserError(f"not UTF-8 text (byte {e.start})", file=str(path)) from None


def _collect_lines(node: yaml.Node, path: KeyPath, out: dict[KeyPath, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            out[path + (key,)] = k.start_mark.line + 1
            _collect_lines(v, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _collect_lines(v, path + (i,), out)


def parse_yaml(text: str, *, file: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML text; return the data and a map of key path -> line number.

    Raises:
        UserError: malformed YAML, with the line and column of the problem.
    """
    loader = _Loader(text)
    try:
        # One parse: compose the node tree (for line numbers), then build data from it.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = (e.problem or e.context or "malformed YAML").strip()
        if e.context and e.context_mark is not None and e.problem:
            # e.g. "while scanning a quoted scalar (started at line 3, column 16)"
            cm = e.context_mark
            problem += f" ({e.context.strip()} started at line {cm.line + 1}, column {cm.column + 1})"
        raise UserError(
            f"malformed YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as e:  # pragma: no cover - unmarked errors are rare
        raise UserError(f"malformed YAML: {e}", file=file) from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def load_yaml(path: str | os.PathLike[str]) -> tuple[Any, dict[KeyPath, int]]:
    """Read and parse a YAML file (see :func:`parse_yaml`)."""
    return parse_yaml(read_text(path), file=str(path))


def dotted(loc: KeyPath) -> str:
    """``("data", "examples")`` -> ``data.examples``; list indexes as ``[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: KeyPath) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc[:-1]``, if it is one."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Optional/list wrappers down to a model class where there is one."""
    for _ in range(4):
        args = [a for a in get_args(tp) if a is not type(None)]
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return tp
        if not args:
            return tp
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        tp = models[0] if models else args[0]
    return tp


_FRIENDLY = {
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "string_type": "expected text",
    "greater_than_equal": "expected a number >= {ge}",
    "greater_than": "expected a number > {gt}",
    "less_than_equal": "expected a number <= {le}",
    "less_than": "expected a number < {lt}",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value pairs)",
    "model_type": "expected a mapping (key: value pairs)",
}


def validation_error(
    err: ValidationError,
    *,
    file: str,
    lines: dict[KeyPath, int] | None = None,
    model: type[BaseModel] | None = None,
) -> UserError:
    """Turn the first pydantic error into a :class:`UserError` a person can act on.

    The message names the key, the value given and what is allowed (the
    literal choices, the allowed keys at that level, or the expected type).
    Further errors are counted, so fixing one never hides the rest for long.
    """
    errors = err.errors(include_url=False)
    first = errors[0]
    loc: KeyPath = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic reports union branches as extra loc parts such as 'literal[...]'; drop them.
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"int", "float", "str", "bool"})))
    key = dotted(loc) or None
    kind = first["type"]
    given = first.get("input")
    if kind == "extra_forbidden":
        allowed = ""
        if model is not None:
            holder = _model_at(model, loc) if len(loc) > 1 else model
            if holder is not None:
                allowed = "; allowed keys here: " + ", ".join(holder.model_fields)
        msg = f"unknown key{allowed}"
    elif kind == "literal_error":
        msg = f"{given!r} is not allowed; expected one of: {first['ctx']['expected']}"
    elif kind == "missing":
        msg = "is required"
    elif kind in _FRIENDLY:
        ctx = first.get("ctx") or {}
        msg = _FRIENDLY[kind].format(**{k: v for k, v in ctx.items()}) + f" (got {given!r})"
    else:
        msg = f"{first['msg']} (got {given!r})" if given is not None else first["msg"]
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''} in this file)"
    line = None
    if lines:
        probe = loc
        while probe and probe not in lines:
            probe = probe[:-1]
        line = lines.get(probe)
    return UserError(msg, file=file, line=line, key=key)


_umask_lock = threading.Lock()


def _current_umask() -> int:
    """The process umask (read by setting and restoring it; the lock keeps threads from racing)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], text: str, *, mode: int | None = None,
                 overwrite: bool = True) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename).

    A reader sees either the old file or the new one, never half of either;
    an interrupted run leaves the previous version intact.

    The file gets the permissions a plain ``open(path, "w")`` would give it:
    an existing file keeps its mode, a new one gets ``0o666`` less the umask
    (so a record on a shared box is readable by the team when the umask says
    so). ``mode`` forces one (sessions are private: ``0o600``). When ``path``
    is a symbolic link, the file it points to is replaced and the link stays.
    With ``overwrite=False`` the file appears complete or not at all, and an
    existing one is never replaced (``FileExistsError``, nothing written).

    Raises:
        UserError: the folder does not exist or cannot be written.
        FileExistsError: ``overwrite`` is false and ``path`` exists.
    """
    target = Path(path)
    if target.is_symlink():
        # Write through the link (as `>` in a shell does): replacing the link with a
        # file would silently detach whatever the link was there for.
        target = Path(os.path.realpath(target))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError("cannot write: folder does not exist", file=str(path))
    if mode is None:
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            mode = 0o666 & ~_current_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UserError(f"cannot write: {e.strerror}", file=str(path)) from None
    try:
        # mkstemp creates the file 0600 whatever the umask; give it the final mode before the rename.
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if target exists: no check-then-write race
            except FileExistsError:
                raise
            except OSError:  # a filesystem without hard links: check, then rename
                if os.path.lexists(target):
                    raise FileExistsError(errno.EEXIST, "File exists", str(target)) from None
                os.replace(tmp, target)
            else:
                os.unlink(tmp)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, FileExistsError) and not overwrite:
            raise
        if isinstance(e, OSError):
            # full disk, quota, a directory in the way: the old file is intact
            reason = e.strerror or type(e).__name__
            raise UserError(f"cannot write: {reason} (the previous file, if any, is unchanged)",
                            file=str(path)) from None
        raise
    return target
