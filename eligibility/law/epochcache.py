"""Compiled law epochs cached on disk, so that a cold `eligibility screen` does not compile the law
again (ADR 0014, issue 11 item 7).

An entry (`diskcache`: verified JSON, never pickle) is named by a digest of everything the
compilation reads: the rulebook's digest, the source of every module the compiler can import (the
`model` and `law` stages; tests/test_layout.py keeps it so), the pydantic version, and the epoch
itself (the rule versions and parameter values in force). An entry that does not verify or does
not rebuild is compiled afresh and written again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from . import diskcache
from .compiler import Chunk, Compiled, Fold, Group, RuleMeta, compile_rulebook
from .rulebook import Node, ResolvedParameter, Rulebook, Text

KIND = "epoch"

_code_digest: str | None = None


def compiler_digest() -> str | None:
    """sha256 of the source of every module the compiler can depend on (the `model` and `law`
    stages: imports run only down the pipeline, ADR 0012) and of the pydantic version; None if a
    source cannot be read (then nothing is cached: a stale entry must never be reused)."""
    global _code_digest
    if _code_digest is None:
        import pydantic

        package = Path(__file__).resolve().parents[1]
        sha = hashlib.sha256(f"pydantic {pydantic.VERSION}\n".encode())
        try:
            for path in sorted([*package.glob("model/*.py"), *package.glob("law/*.py")]):
                sha.update(f"{path.parent.name}/{path.name}\n".encode())
                sha.update(path.read_bytes())
        except OSError:
            return None
        _code_digest = sha.hexdigest()
    return _code_digest


def epoch_key(book: Rulebook, day: dt.date) -> str | None:
    """The name of the entry for the law in force on ``day``: the same for every day of one law
    epoch (the same rule versions and parameter values), different for any other rulebook or
    compiler. None when the compiler's source cannot be read."""
    code = compiler_digest()
    if code is None:
        return None
    params = {pid: max((v.valid_from.isoformat() for v in p.values if v.valid_from <= day), default=None)
              for pid, p in book.parameters.items()}
    identity = {"rulebook": book.digest, "compiler": code,
                "nodes": sorted(n.key for n in book.in_force(day).values()), "params": params}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


def compiled_epoch(book: Rulebook, day: dt.date) -> Compiled:
    """`compile_rulebook(book, day)`, read from the cache when a verified entry is there."""
    key = epoch_key(book, day) if diskcache.cache_dir() is not None else None
    if key is None:
        return compile_rulebook(book, day)
    data = diskcache.read_entry(KIND, key)
    if data is not None:
        try:
            return decode(data, book)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            pass  # whole but not an epoch this code reads: compiled afresh and written again
    compiled = compile_rulebook(book, day)
    encoded = encode(compiled)
    if encoded is not None:
        diskcache.write_entry(KIND, key, encoded)
    return compiled


def _text(note: Any) -> dict[str, str]:
    if not isinstance(note, Text):
        raise TypeError(f"not a Text: {note!r}")
    return note.model_dump()


def encode(compiled: Compiled) -> dict[str, Any] | None:
    """``compiled`` as plain JSON data (rule graph nodes by their versioned key); None if some
    part is not plain data (then it is not cached)."""
    try:
        data = {
            "name": compiled.name,
            "definition": compiled.definition,
            "rules": [dataclasses.astuple(meta) for meta in compiled.rules.values()],
            "topics": list(compiled.topics),
            "consumed": sorted(compiled.consumed),
            "nodes": {node_id: node.key for node_id, node in compiled.nodes.items()},
            "refs": compiled.refs,
            "reads": compiled.reads,
            "lists": sorted(compiled.lists),
            "params": {pid: [p.id, p.value, p.valid_from.isoformat(), None if p.unverified is None
                             else _text(p.unverified)] for pid, p in compiled.params.items()},
            "uncertain": {nid: [_text(n) for n in notes] for nid, notes in compiled.uncertain.items()},
            "chunks": [[[chunk.type, chunk.attrs] for chunk in level] for level in compiled.chunks],
            "folds": [dataclasses.astuple(fold) for fold in compiled.folds],
            "groups": [dataclasses.astuple(group) for group in compiled.groups],
        }
        # Round trip through JSON now, so that only what reads back equal is ever stored.
        if decode_plain(json.loads(json.dumps(data)), compiled) != compiled:
            return None
        return data
    except (TypeError, ValueError):
        return None


def decode_plain(data: dict[str, Any], compiled: Compiled) -> Compiled:
    """``data`` rebuilt with the nodes of ``compiled`` (the check in `encode`)."""
    return _build(data, {node.key: node for node in compiled.nodes.values()})


def decode(data: dict[str, Any], book: Rulebook) -> Compiled:
    """The `Compiled` that `encode` wrote, its nodes taken from ``book`` by versioned key."""
    return _build(data, {node.key: node for versions in book.versions.values() for node in versions})


def _build(data: dict[str, Any], nodes: dict[str, Node]) -> Compiled:
    def text(note: dict[str, str] | None) -> Text | None:
        return None if note is None else Text.model_validate(note)

    def meta(row: list[Any]) -> RuleMeta:
        return RuleMeta(*(tuple(v) if isinstance(v, list) else v for v in row))

    return Compiled(
        name=data["name"],
        definition=data["definition"],
        rules={row[0]: meta(row) for row in data["rules"]},
        topics=tuple(data["topics"]),
        consumed=frozenset(data["consumed"]),
        nodes={node_id: nodes[key] for node_id, key in data["nodes"].items()},
        refs={nid: [(ref, neg) for ref, neg in refs] for nid, refs in data["refs"].items()},
        reads=data["reads"],
        lists=frozenset(data["lists"]),
        params={pid: ResolvedParameter(p[0], p[1], dt.date.fromisoformat(p[2]), text(p[3]))
                for pid, p in data["params"].items()},
        uncertain={nid: [text(n) for n in notes] for nid, notes in data["uncertain"].items()},
        chunks=tuple(tuple(Chunk(t, tuple((a, b) for a, b in attrs)) for t, attrs in level)
                     for level in data["chunks"]),
        folds=tuple(Fold(t, lst, topic, count, tuple(parts)) for t, lst, topic, count, parts in data["folds"]),
        groups=tuple(Group(t, tuple(members)) for t, members in data["groups"]),
    )
