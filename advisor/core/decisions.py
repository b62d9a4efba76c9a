"""The decisions folder: numbered MADR records, an index, and supersession. Nothing is overwritten.

A record is saved as ``NNNN-slug.md`` in the decisions folder (``docs/decisions``
by default, or ``$ADVISOR_DECISIONS_DIR``, or a folder the user names), with the
next free number, created without ever replacing a file. A record carries the job
it decides in its front matter (``advisor-job``, a hash of the task description),
so a later decision on the same job can *supersede* it: the new record says
``supersedes: 0003-....md`` and the old one's status becomes
``superseded by ADR-0005`` with ``superseded-by: 0005-....md``. The old record's
text is otherwise kept. ``index.md`` lists every record and is rebuilt from the
records' front matter (written atomically) after each save; an ``index.md`` that
advisor did not write is left alone.

Front ends (the app, the plain prompts, ``advisor decide --save``) only call
:func:`find_same_job`, :func:`next_path` and :func:`save_record`; the choice to
supersede is always the user's.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from advisor.core.io import atomic_write, read_text
from advisor.errors import UserError

DEFAULT_FOLDER = Path("docs") / "decisions"
ENV_FOLDER = "ADVISOR_DECISIONS_DIR"
INDEX = "index.md"
INDEX_MARK = "<!-- written by advisor: rebuilt from the records' front matter; edit the records, not this file -->"
_NAME = re.compile(r"^(\d{4})-[^/]*\.md$")


@dataclass
class RecordInfo:
    """One record in the folder, as its front matter and title say."""

    number: int
    path: Path
    title: str
    status: str = ""
    date: str = ""
    job: Optional[str] = None
    supersedes: list[str] = field(default_factory=list)
    superseded_by: Optional[str] = None

    @property
    def active(self) -> bool:
        return self.superseded_by is None and not self.status.startswith("superseded")


@dataclass
class Saved:
    """What :func:`save_record` wrote."""

    path: Path
    superseded: list[Path]
    index: Optional[Path]
    note: Optional[str] = None


def folder_for(folder: str | os.PathLike[str] | None = None) -> Path:
    """The decisions folder: the one given, else ``$ADVISOR_DECISIONS_DIR``, else ``docs/decisions``."""
    if folder:
        return Path(folder).expanduser()
    env = os.environ.get(ENV_FOLDER)
    return Path(env).expanduser() if env else DEFAULT_FOLDER


def job_id(description: Optional[str]) -> Optional[str]:
    """A stable id for the job a record decides (case and spacing ignored); ``None`` without a description."""
    if not description or not description.strip():
        return None
    norm = " ".join(description.lower().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:12]


def slugify(text: Optional[str], *, limit: int = 48) -> str:
    """``Route support tickets!`` -> ``route-support-tickets`` (ASCII, at most ``limit`` characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] or slug[:limit]
    return slug or "decision"


def _split(text: str) -> tuple[Optional[str], str]:
    """(front matter text, body) of a markdown document; ``None`` when it has none."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[4:end + 1], text[end + 5:]
    return None, text


def _front(text: str) -> dict[str, Any]:
    fm, _ = _split(text)
    if fm is None:
        return {}
    try:
        data = yaml.safe_load(fm)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _title(text: str) -> str:
    for line in _split(text)[1].splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def list_records(folder: Path) -> list[RecordInfo]:
    """Every ``NNNN-*.md`` record in ``folder``, by number (unreadable files are skipped)."""
    out: list[RecordInfo] = []
    if not folder.is_dir():
        return out
    for p in sorted(folder.iterdir()):
        m = _NAME.match(p.name)
        if not m or not p.is_file():
            continue
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        fm = _front(text)
        out.append(RecordInfo(
            number=int(m.group(1)), path=p, title=_title(text), status=str(fm.get("status") or ""),
            date=str(fm.get("date") or ""), job=str(fm["advisor-job"]) if fm.get("advisor-job") else None,
            supersedes=_as_list(fm.get("supersedes")),
            superseded_by=str(fm["superseded-by"]) if fm.get("superseded-by") else None,
        ))
    out.sort(key=lambda r: (r.number, r.path.name))
    return out


def find_same_job(folder: Path, description: Optional[str]) -> list[RecordInfo]:
    """Active (not superseded) records that decide the same job, newest first."""
    jid = job_id(description)
    if jid is None:
        return []
    return [r for r in reversed(list_records(folder)) if r.job == jid and r.active]


def next_path(folder: Path, description: Optional[str]) -> Path:
    """Where the next record would go: the number after the highest in the folder."""
    records = list_records(folder)
    n = max((r.number for r in records), default=0) + 1
    return folder / f"{n:04d}-{slugify(description)}.md"


def _yaml_line(key: str, value: Any) -> str:
    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=10_000).rstrip("\n")


def set_front_matter(text: str, updates: dict[str, Any]) -> str:
    """``text`` with front matter keys set (replaced in place, or added at its end); the body is untouched."""
    fm, body = _split(text)
    lines = fm.splitlines() if fm is not None else []
    for key, value in updates.items():
        new = _yaml_line(key, value).splitlines()
        start = next((i for i, ln in enumerate(lines) if ln.startswith(f"{key}:")), None)
        if start is None:
            lines += new
            continue
        end = start + 1
        while end < len(lines) and lines[end].startswith((" ", "-")):  # a block value (list) continues
            end += 1
        lines[start:end] = new
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def _rel(target: Path, start: Path) -> str:
    return os.path.relpath(target, start)


def render_index(folder: Path) -> str:
    """The index: every record with its status, date and supersession links."""
    records = list_records(folder)
    by_name = {r.path.name: r for r in records}
    lines = ["# Decision records", "", INDEX_MARK, ""]
    if not records:
        lines.append("No records yet.")
        return "\n".join(lines) + "\n"
    lines += ["| # | decision | status | date |", "|---|---|---|---|"]
    for r in records:
        title = r.title.replace("|", "\\|") or r.path.stem
        status = r.status or "-"
        if r.superseded_by and r.superseded_by in by_name:
            status = f"superseded by [{by_name[r.superseded_by].number:04d}]({r.superseded_by})"
        if r.supersedes:
            status += "; supersedes " + ", ".join(
                f"[{by_name[s].number:04d}]({s})" if s in by_name else s for s in r.supersedes)
        lines.append(f"| [{r.number:04d}]({r.path.name}) | {title} | {status.replace('|', '/')} | {r.date} |")
    return "\n".join(lines) + "\n"


def write_index(folder: Path) -> tuple[Optional[Path], Optional[str]]:
    """Rebuild ``index.md`` atomically; leave a hand-written one alone (and say so)."""
    index = folder / INDEX
    if index.exists():
        try:
            current = index.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = ""
        if INDEX_MARK not in current:
            return None, f"{index} was not written by advisor; it is left as it is"
    atomic_write(index, render_index(folder))
    return index, None


def save_record(
    markdown: str,
    *,
    folder: str | os.PathLike[str] | None = None,
    description: Optional[str] = None,
    supersede: Optional[list[RecordInfo]] = None,
) -> Saved:
    """Add a record to the decisions folder under the next free number; never replaces a file.

    Args:
        markdown: the MADR record (from :func:`advisor.core.record.render_markdown`).
        folder: the decisions folder (see :func:`folder_for`); created when missing.
        description: the task description (the file's slug and the job id).
        supersede: records (from :func:`find_same_job`) this one replaces; each is
            marked superseded, with a link to the new one. Only the user decides this.

    Returns:
        The new record's path, the records marked superseded, the index (or ``None``).

    Raises:
        UserError: the folder cannot be created or written.
    """
    target_folder = folder_for(folder)
    try:
        target_folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create the decisions folder: {e.strerror or e}", file=str(target_folder)) from None
    updates: dict[str, Any] = {}
    jid = job_id(description)
    if jid:
        updates["advisor-job"] = jid
    supersede = list(supersede or [])
    path = next_path(target_folder, description)
    for _ in range(1000):
        names = [r.path.name for r in supersede]
        extra = {"supersedes": names if len(names) > 1 else names[0]} if names else {}
        text = set_front_matter(markdown, {**updates, **extra})
        try:
            atomic_write(path, text, overwrite=False)
            break
        except FileExistsError:  # another save took this number meanwhile: take the next one
            n = int(path.name[:4]) + 1
            path = target_folder / f"{n:04d}-{path.name[5:]}"
    else:  # pragma: no cover - a thousand concurrent saves
        raise UserError("cannot find a free record number", file=str(target_folder))
    done: list[Path] = []
    for old in supersede:
        old_text = read_text(old.path)
        atomic_write(old.path, set_front_matter(old_text, {
            "status": f"superseded by ADR-{int(path.name[:4]):04d}",
            "superseded-by": path.name,
        }))
        done.append(old.path)
    index, note = write_index(target_folder)
    return Saved(path=path, superseded=done, index=index, note=note)


def refuse_overwrite(path: str | os.PathLike[str], *, force: bool, hint: str = "") -> None:
    """Raise unless ``path`` is free or the user chose to overwrite it (``force``)."""
    p = Path(path)
    try:
        # only a regular file is guarded: a folder, a device (/dev/null) or a pipe is the writer's to handle
        exists = p.is_file()
    except OSError:  # e.g. a name too long: the writer reports it
        exists = False
    if not force and exists:
        raise UserError(f"already exists; pass --force to overwrite it{hint}", file=str(path))
