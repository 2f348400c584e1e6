"""Which rules are in use, without validating them: the rules directory, the canonical form a rule
file is hashed in, and the rulebook's version and sha256 (the same as `Rulebook.digest`).

Kept apart from `rulebook` (which imports pydantic and the case model) so that `eligibility
--version` reads the rules' identity in a fraction of the time a full load takes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from ..model.questions import default_rules_dir  # the rules folder: beside the questions, below the pipeline

# yaml.safe_load's loader, with libyaml's C parser when PyYAML has it: the same SafeConstructor
# (plain data only, no tags that build Python objects), seven times faster on the rulebook, which
# a caseworker's cold `eligibility screen` waits for.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def canonical(data: Any) -> bytes:
    """The bytes a rule file's parsed data is hashed as."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def rules_identity(directory: Path | None = None) -> tuple[str, str]:
    """(version, sha256) of the rules in ``directory``, as `load_rulebook` computes them but
    without validating the files (an unreadable file raises OSError or yaml.YAMLError)."""
    directory = Path(directory) if directory else default_rules_dir()
    digests, version = {}, ""
    for path in sorted(directory.glob("*.yaml")):
        with path.open("r", encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=SAFE_LOADER)  # noqa: S506 - a SafeLoader (C or Python)
        digests[path.name] = hashlib.sha256(canonical(data)).hexdigest()
        if path.name == "rulebook.yaml" and isinstance(data, dict):
            version = str(data.get("version", ""))
    return version, hashlib.sha256(canonical(digests)).hexdigest()
