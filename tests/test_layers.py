"""The package keeps its layers: each folder imports only from the layers below it, with no cycles.

The rule README.md's Architecture section states, checked on every import in the source, the
ones inside functions too (a lazy import is still a dependency).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "digitlab"

# bottom to top; a module may import its own layer or any layer listed before it
LAYERS = {
    "errors": 0, "files": 0, "progress": 0, "__init__": 0, "__main__": 9,
    "data": 1,
    "preprocess": 2,
    "nn": 3,
    "torch_engine": 4, "keras_engine": 4,
    "models": 5,
    "read": 6,
    "evaluate": 7,
    "report": 8, "serve": 8,
    "cli": 9,
}
# a run writes its report: the one arrow that points up, kept so `digitlab train` stays one call
ALLOWED_UP = {("digitlab.evaluate.runs", "digitlab.report")}
# each heavy optional dependency is imported by exactly one module
HEAVY = {"torch": None, "keras": "digitlab.keras_engine.backend", "fastapi": "digitlab.serve.app",
         "dask": "digitlab.evaluate.cluster"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # `from digitlab.models import pretrained` imports a module, not only a package
            names |= {f"{node.module}.{alias.name}" for alias in node.names
                      if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()
                      or (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).is_dir()}
    return names


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


GRAPH = {name: {m for m in imported(tree) if m.startswith("digitlab")} for name, tree in modules()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module):
    up = [m for m in GRAPH[module] if layer(m) > layer(module)
          and not any(module == a and m.startswith(b) for a, b in ALLOWED_UP)]
    assert not up, f"{module} (layer {layer(module)}) imports from higher layers: {up}"


def test_no_import_cycles():
    edges = defaultdict(set)
    for module, targets in GRAPH.items():
        for target in targets:
            # `from digitlab.models import X` depends on the package's __init__, which is a module too
            if target in GRAPH and target != module:
                edges[module].add(target)
    state, cycles = {}, []

    def visit(node, path):
        state[node] = "open"
        for nxt in edges[node]:
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [node])
    # a package importing its own submodules in __init__ is how Python packages work, not a cycle
    real = [c for c in cycles if not all(c[0].startswith(m) or m.startswith(c[0]) for m in c)]
    assert not real, "import cycles: " + "; ".join(" -> ".join(c) for c in real)


def test_heavy_dependencies_are_imported_in_one_place():
    for heavy, only in HEAVY.items():
        users = sorted(name for name, tree in modules()
                       if any(m == heavy or m.startswith(heavy + ".") for m in imported(tree)))
        if only is None:  # torch: the torch engine's package, and nowhere else
            assert all(u.startswith("digitlab.torch_engine") for u in users), users
        else:
            assert users == [only], users
