"""A per-user folder of verified JSON entries: what a cold start would otherwise compute again
(ADR 0014). Used for compiled law epochs (`epochcache`) and for the rule files' parsed YAML
(`rulebook`).

An entry is plain JSON (never pickle, never code). Its first line records the sha256 of the JSON
below it, and the JSON holds the key it was written under: an entry that does not match either is
ignored (the caller computes afresh and writes it again). Entries are written to a temporary
file and renamed (`model.atomic`), so concurrent writers and readers never see half a file.

Where: ``$ELIGIBILITY_CACHE_DIR``; else ``$XDG_CACHE_HOME/eligibility``; else
``~/.cache/eligibility``. ``ELIGIBILITY_CACHE_DIR=`` (empty) turns the cache off (the CLI's
``--no-cache`` does that). A folder that cannot be read or written just means no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

FORMAT = "eligibility-cache 1"  # the first line's prefix; a new layout of an entry bumps it
ENV = "ELIGIBILITY_CACHE_DIR"
KEEP = 64  # entries of one kind; about 0.5 MB each


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off (``ELIGIBILITY_CACHE_DIR=``)."""
    env = os.environ.get(ENV)
    if env is not None:
        return Path(env) if env else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "eligibility"
    try:
        return Path.home() / ".cache" / "eligibility"
    except RuntimeError:  # no home directory to be found: no cache
        return None


def entry_path(kind: str, key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"{kind}-{key}.json"


def read_entry(kind: str, key: str, object_hook: Any = None) -> Any:
    """The data stored under ``kind`` and ``key`` if the entry is whole and of that key; else None."""
    path = entry_path(kind, key)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, body = raw.partition(b"\n")
    if header != f"{FORMAT} {hashlib.sha256(body).hexdigest()}".encode():
        return None  # corrupt, truncated or another format
    try:
        data = json.loads(body, object_hook=object_hook)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("key") != f"{kind}-{key}":
        return None
    return data.get("data")


def write_entry(kind: str, key: str, data: Any) -> None:
    """Store ``data`` (plain JSON data) under ``kind`` and ``key``; a folder that cannot be
    written just means no cache."""
    path = entry_path(kind, key)
    if path is None:
        return
    from ..model.atomic import write_atomically  # only when writing: tempfile costs a cold start

    body = json.dumps({"key": f"{kind}-{key}", "data": data}, ensure_ascii=False, separators=(",", ":"))
    text = f"{FORMAT} {hashlib.sha256(body.encode()).hexdigest()}\n{body}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)
    except OSError:
        return
    _prune(path.parent, kind)


def _prune(folder: Path, kind: str) -> None:
    """Keep the newest `KEEP` entries of ``kind``: each edit of the rules or the compiler makes
    new ones, and the old are never read again."""
    try:
        entries = sorted(folder.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:  # another process pruned first, or the folder is read-only: try next time
        pass
