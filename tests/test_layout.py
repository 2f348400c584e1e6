"""The package's folders are the pipeline's stages, and imports run only down the pipeline
(docs/adr/0012-package-layout.md). Read with `ast`, not by importing: a lazy import inside a
function counts for the direction too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "eligibility"

# The stages in pipeline order. A module may import its own stage, any earlier stage, and the top
# package (`from .. import __version__`); never a later stage. batch and interview are both last,
# and neither imports the other.
ORDER = ("model", "law", "engine", "explain", "audit", ("batch", "interview"))
RANK = {stage: rank for rank, group in enumerate(ORDER)
        for stage in (group if isinstance(group, tuple) else (group,))}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The modules of the package that ``node`` in ``module`` imports (a name imported from a
    package may be a submodule: both are listed when they exist)."""
    if node.level:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("eligibility"):
        return []
    found = [target] if target in MODULES else []
    found += [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return found


def imports(module: str, path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.iter_child_nodes(tree) if top_level_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            found.update(resolve(module, path, node))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
    return found - {module}


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the top package (eligibility/__init__.py)


def test_every_module_is_in_a_stage() -> None:
    assert {m for m in MODULES if stage(m) is None} == {"eligibility"}
    assert {stage(m) for m in MODULES} - {None} == set(RANK)


def test_the_reader_sees_imports() -> None:
    """The checks below are only as good as this reader: relative, absolute and lazy imports."""
    screening = "eligibility.explain.screening"
    assert {"eligibility", "eligibility.engine.adapter", "eligibility.model.case"} <= \
        imports(screening, MODULES[screening], top_level_only=True)
    runner = "eligibility.batch.runner"
    assert "eligibility.audit" not in imports(runner, MODULES[runner], top_level_only=True)
    assert "eligibility.audit" in imports(runner, MODULES[runner], top_level_only=False)  # lazy
    assert "eligibility.batch.store" in imports("eligibility.batch", MODULES["eligibility.batch"], True)


def test_imports_run_only_down_the_pipeline() -> None:
    wrong = []
    for module, path in MODULES.items():
        here = stage(module)
        for target in sorted(imports(module, path, top_level_only=False)):
            there = stage(target)
            if there is None or there == here:
                continue
            if here is None or RANK[there] >= RANK[here]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_import_cycle_at_import_time() -> None:
    graph = {m: imports(m, p, top_level_only=True) for m, p in MODULES.items()}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join(path[path.index(module):] + (module,))
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, path + (module,))
        done.add(module)

    for module in MODULES:
        visit(module, ())
