"""The package's layering, read from its imports with `ast`: no import circle, nothing imported from a floor above.

`python tests/test_layout.py` prints each subpackage's floor, what it imports,
and any circle between modules.
"""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tangshi"
GROUND = "ground"  # errors, atomic, params, forms: the modules at the package's top
# What each layer may import besides itself (the subpackages' docstrings say the same in words).
MAY_IMPORT = {
    GROUND: set(),
    "data": {GROUND},
    "judge": {GROUND, "data"},
    "models": {GROUND, "data"},
    "training": {GROUND, "data", "models"},
    "writing": {GROUND, "data", "judge", "models"},
    "reports": {GROUND, "data", "judge", "models", "training", "writing"},
    "app": {GROUND, "data", "judge", "models", "training", "writing"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every tangshi module `path` imports, at the top or inside a function."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base == "tangshi" or base.startswith("tangshi."):
                for alias in node.names:  # `from . import x` names a module; `from .m import f` names m
                    found.add(f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tangshi."))
    return {m for m in found if m != "tangshi"}


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else GROUND


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
    """Floor of each layer: 1 for one that imports no other layer, else one above the highest it imports."""
    between = {}
    for src, targets in edges.items():
        between.setdefault(layer(src), set()).update(layer(t) for t in targets if layer(t) != layer(src))
    memo = {}

    def floor(name, seen=()):
        if name not in memo:
            memo[name] = 1 + max((floor(t, seen + (name,)) for t in between.get(name, ()) if t not in seen), default=0)
        return memo[name]

    return {name: floor(name) for name in between}


def test_no_import_circle():
    assert circles(graph()) == []


def test_every_layer_imports_only_the_layers_below_it():
    wrong = [
        f"{src} imports {t}" for src, targets in graph().items() for t in targets
        if layer(t) != layer(src) and layer(t) not in MAY_IMPORT[layer(src)]
    ]
    assert wrong == []


def test_every_module_is_in_a_known_layer():
    assert {layer(m) for m in graph()} <= set(MAY_IMPORT)


def test_the_checker_sees_a_circle_and_a_wrong_import(tmp_path):
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer("tangshi.models.poet") == "models" and layer("tangshi.forms") == GROUND
    assert "tangshi.training.trainer" in graph()["tangshi.training.loop"]  # relative imports resolved
    assert "tangshi.models.poet" in graph()["tangshi.training.trainer"]


if __name__ == "__main__":
    edges = graph()
    for name, floor in sorted(floors(edges).items(), key=lambda kv: (-kv[1], kv[0])):
        modules = sorted(m for m in edges if layer(m) == name)
        uses = sorted({layer(t) for m in modules for t in edges[m]} - {name})
        print(f"floor {floor}  {name:9s} {len(modules):2d} modules  imports: {', '.join(uses) or '-'}")
    found = circles(edges)
    print(f"{len(edges)} modules; import circles: {found or 'none'}")
    sys.exit(1 if found else 0)
