"""No import cycles between the modules of connector_okta, connector_host and okta_sandbox.

The import graph is built from source with :mod:`ast`, without importing anything. The packages are found by
walking their directories, so modules added or split later are covered without editing this file.

What counts as an edge from module ``m`` to module ``n``:

- every ``import`` and ``from ... import`` anywhere in ``m``: at module level, inside functions, methods,
  ``try`` blocks and conditionals, ``if TYPE_CHECKING:`` included. A lazy import inside a function is still a
  dependency and still a cycle; so is an import made only for a type annotation (hand the annotated object a
  type from a lower module, e.g. a ``Protocol``, as ``connector_host.console.CommandContext`` does);
- relative imports are resolved against ``m``'s package;
- ``import a.b`` is an edge to ``a.b`` (its ``__init__`` when ``a.b`` is a package);
- ``from a import x`` is an edge to the submodule ``a.x`` when there is one, otherwise to ``a``'s
  ``__init__`` (where ``x`` is defined);
- only modules of the three packages are nodes: imports of the stdlib and of third-party packages are ignored.

One thing is deliberately not an edge, and nothing else is left out: the implicit import of a module's parent
packages (``a.b.c`` running ``a/__init__`` and ``a/b/__init__`` first). Counted, every package whose
``__init__`` re-exports its submodules would be a cycle. An explicit import of the package (``from a import x``
where ``x`` is defined in ``a/__init__``) is an edge like any other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIRS = {
    "connector_okta": ROOT / "connector_okta",
    "connector_host": ROOT / "host" / "connector_host",
    "okta_sandbox": ROOT / "sandbox" / "okta_sandbox",
}

Graph = dict[str, set[str]]


def discover_modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (source file, whether it is a package ``__init__``), for every ``.py`` file."""
    modules: dict[str, tuple[Path, bool]] = {}
    for top, directory in PACKAGE_DIRS.items():
        for path in sorted(directory.rglob("*.py")):
            parts = path.relative_to(directory).with_suffix("").parts
            if any(not part.isidentifier() for part in parts):
                continue  # not importable (e.g. a template directory); reported by test_every_file_is_a_node
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            modules[".".join((top, *parts))] = (path, is_package)
    return modules


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in the tree, at any depth."""
    return (node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom))


def _resolve_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def build_graph(modules: Mapping[str, tuple[Path, bool]]) -> Graph:
    """Module -> the modules of the three packages it imports (see the module docstring for the rules)."""
    graph: Graph = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve_base(name, is_package, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def strongly_connected_components(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; each component sorted, singletons included."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def find_cycle(graph: Mapping[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle inside a strongly connected component: ``[a, b, ..., a]`` (shortest from ``a``)."""
    members = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in parents:
                    parents[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{component} is not a cycle")


def import_cycles(graph: Mapping[str, set[str]]) -> list[str]:
    """One line per cycle: the modules of the component and one concrete loop through them."""
    return [
        f"{len(c)} modules: {', '.join(c)}\n    e.g. {' -> '.join(find_cycle(graph, c))}"
        for c in strongly_connected_components(graph)
        if len(c) > 1
    ]


def test_every_file_is_a_node() -> None:
    modules = discover_modules()
    files = {path for directory in PACKAGE_DIRS.values() for path in directory.rglob("*.py")}
    skipped = sorted(str(p.relative_to(ROOT)) for p in files - {path for path, _ in modules.values()})
    assert not skipped, f"files not importable as modules, so not checked for cycles: {skipped}"
    for top in PACKAGE_DIRS:
        assert top in modules, f"{top}/__init__.py not found"


def test_no_import_cycles() -> None:
    cycles = import_cycles(build_graph(discover_modules()))
    assert not cycles, "import cycles (a lazy import inside a function counts):\n" + "\n".join(cycles)


@pytest.mark.parametrize(
    ("sources", "cycle"),
    [
        ({"p/__init__": "", "p/a": "from . import b", "p/b": "def f():\n    from .a import x"}, True),
        ({"p/__init__": "", "p/a": "import p.b", "p/b": "from p import a"}, True),
        ({"p/__init__": "from .a import x", "p/a": "from . import x"}, True),
        ({"p/__init__": "from .a import x", "p/a": "x = 1"}, False),
        ({"p/__init__": "", "p/a": "from . import b", "p/b": "if TYPE_CHECKING:\n    from .a import A"}, True),
        ({"p/__init__": "", "p/a": "from . import b",
          "p/b": "import os\nclass B:\n    def f(self):\n        import p.a"}, True),
        ({"p/__init__": "", "p/a": "import json\nfrom . import b", "p/b": "import p.c\nfrom os import path"}, False),
        ({"p/__init__": "", "p/q/__init__": "", "p/q/a": "from .. import b", "p/b": "from .q.a import A"}, True),
    ],
)
def test_detector(tmp_path: Path, sources: dict[str, str], cycle: bool) -> None:
    """The graph builder itself: lazy, absolute, relative and parent-relative imports; TYPE_CHECKING."""
    modules = {}
    for name, text in sources.items():
        path = tmp_path / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
        dotted = name.replace("/", ".").removesuffix(".__init__")
        modules[dotted] = (path, name.endswith("__init__"))
    assert bool(import_cycles(build_graph(modules))) == cycle
