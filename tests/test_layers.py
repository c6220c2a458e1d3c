"""The layering of ``acrdoctor/`` and ``checks/``, read from the code's own imports (function-level ones too).

Three rules, so the layers cannot silently regress (docs/architecture.md explains them):

* no import cycle between modules, lazy imports included (a cycle hidden in a function is still a cycle);
* no module imports a private name (``_x``) from another package;
* each unit (a package, or a top-level module) imports only the units :data:`MAY_IMPORT` allows it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ((ROOT / "acrdoctor", "acrdoctor"), (ROOT / "checks", "acrdoctor.checks"))

#: Leaf helpers: no knowledge of registries, importable from anywhere.
BASE = frozenset({"errors", "json_fields", "units", "redact", "textsafe", "shellquote", "typed_json", "clock",
                  "user_files"})
#: The snapshot model and what reads, writes, builds or derives it (no I/O but files).
MODEL = frozenset({"model", "controls", "controls_io", "times", "manifest_body", "limits", "storage", "completeness",
                   "snapshot_io", "builder",
                   "demo"})
CORE = BASE | MODEL

#: What each unit may import besides itself; every unit may import the ``acrdoctor`` root (``__version__``).
MAY_IMPORT: dict[str, frozenset[str]] = {
    **{u: BASE for u in BASE},
    **{u: CORE for u in MODEL},
    "actions": BASE,
    "grouping": BASE | {"actions"},
    "check_api": CORE | {"actions"},
    "azure": CORE,
    "testing": CORE,
    "collect": CORE | {"azure", "check_api"},
    "checks": CORE | {"actions", "check_api"},
    "engine": CORE | {"check_api", "checks", "printed_once"},
    "printed_once": CORE | {"check_api"},
    "render": CORE | {"actions", "check_api", "engine", "grouping"},
    "explain": CORE | {"actions", "check_api", "checks", "engine"},
    "preflight": CORE | {"actions", "check_api", "checks", "engine", "render"},
    "fix": CORE | {"actions", "check_api", "checks", "engine", "collect", "azure", "preflight", "render", "grouping"},
    "usage": CORE | {"actions", "checks", "preflight"},
    "cli": CORE | {"actions", "check_api", "checks", "engine", "collect", "azure", "preflight", "render", "explain",
                   "fix", "usage", "grouping"},
    "__main__": frozenset({"cli"}),
    "data": frozenset(),  # the demo snapshot as a package resource: no code
}
#: (module, unit) pairs allowed against :data:`MAY_IMPORT`, each for a reason its module gives. The fake's
#: ``az acr run`` executes ``acr purge`` with the pre-flight's own selection, as issue 15 asks (lazy import).
EXCEPTIONS: frozenset[tuple[str, str]] = frozenset({("acrdoctor.testing._runs", "preflight")})


@cache
def modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for base, package in SOURCES:
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([package, *parts])] = path
    return out


def imports(module: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import statement anywhere in the module."""
    path = modules()[module]
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: None if is_package else -1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub, None, node.lineno) if sub in modules() else (base, alias.name, node.lineno)


@cache
def graph() -> dict[str, frozenset[str]]:
    known = modules()
    return {m: frozenset(t for t, _, _ in imports(m) if t in known and t != m) for m in known}


def unit(module: str) -> str:
    """``acrdoctor.fix.plan`` -> ``fix``; ``acrdoctor.model`` -> ``model``; ``acrdoctor`` -> ``acrdoctor``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package(module: str) -> str:
    return module if modules()[module].name == "__init__.py" else module.rpartition(".")[0]


def cycles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_chain() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a", "d"}), "d": frozenset()}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_the_graph_sees_function_level_imports() -> None:
    """fix.apply imports the SDK side lazily in places; the graph must still see every acrdoctor import."""
    lazy = [(m, t) for m in modules() for t, _, line in imports(m) if t.startswith("acrdoctor")
            and not modules()[m].read_text("utf-8").splitlines()[line - 1].startswith(("from ", "import "))]
    assert lazy, "no function-level import was seen: the scan is not reading function bodies"
    assert all(t in graph()[m] for m, t in lazy if t in modules())


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_private_name_is_imported_across_packages() -> None:
    bad = []
    for m in modules():
        for target, name, line in imports(m):
            if not target.startswith("acrdoctor"):
                continue
            private = name if name else target.rpartition(".")[2]
            if private.startswith("_") and not private.startswith("__"):
                owner = target if name else target.rpartition(".")[0]
                here = package(m)
                if owner != here and not owner.startswith(here + "."):
                    bad.append(f"{modules()[m].relative_to(ROOT)}:{line} imports {target}{'.' + name if name else ''}")
    assert bad == []


def test_every_unit_imports_only_what_its_layer_allows() -> None:
    units = {unit(m) for m in modules()} - {"acrdoctor"}
    assert units <= set(MAY_IMPORT), f"units without a rule: {sorted(units - set(MAY_IMPORT))}"
    bad = sorted({f"{unit(m)} -> {unit(t)} ({m} imports {t})" for m, targets in graph().items() for t in targets
                  if unit(m) != "acrdoctor" and unit(t) not in (unit(m), "acrdoctor")
                  and unit(t) not in MAY_IMPORT[unit(m)] and (m, unit(t)) not in EXCEPTIONS})
    assert bad == []


def test_the_layer_rules_are_not_vacuous() -> None:
    """A lower layer reaching up is exactly what the rules forbid."""
    assert "collect" not in MAY_IMPORT["checks"] and "fix" not in MAY_IMPORT["actions"]
    assert "cli" not in MAY_IMPORT["fix"] and "azure" not in MAY_IMPORT["checks"]
    uses = {(unit(m), unit(t)) for m, ts in graph().items() for t in ts}
    assert all(u in {unit(t) for t in graph()[m]} for m, u in EXCEPTIONS), "an exception nothing needs any more"
    assert ("checks", "check_api") in uses and ("fix", "azure") in uses and ("collect", "azure") in uses
