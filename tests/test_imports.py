"""The import graph: no cycles inside the packages, and a command line that starts without torch."""

import ast
import subprocess
import sys

from .conftest import REPO

PACKAGES = ("latentaudio", "vocoder")


def package_modules() -> dict:
    """Dotted name -> source path of every module of :data:`PACKAGES` (a package is its ``__init__``)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path, modules: dict) -> set:
    """The package modules that ``name`` imports anywhere (module level or inside functions), relative imports resolved."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; `from module import name` the module itself.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.name` -> the module a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def find_cycles(graph: dict) -> list:
    """One cycle (as a list of modules, first repeated last) per strongly connected group of ``graph``."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [shortest_cycle(graph, group) for group in groups]


def shortest_cycle(graph: dict, group: set) -> list:
    """A shortest cycle through the alphabetically first module of a strongly connected ``group``."""
    start = min(group)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for target in sorted(graph[path[-1]] & group):
            if target == start:
                return path + [start]
            if target not in seen:
                seen.add(target)
                paths.append(path + [target])
    raise AssertionError(f"{sorted(group)} is not strongly connected")


def test_find_cycles_reports_each_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "e", "d"]]


def test_relative_imports_resolve(tmp_path):
    modules = {"pkg": None, "pkg.sub": None, "pkg.sub.leaf": None, "pkg.other": None}
    package = tmp_path / "__init__.py"
    package.write_text("def f():\n    from .sub import leaf\n    from . import other\n")
    leaf = tmp_path / "leaf.py"
    leaf.write_text("from ..other import thing\nimport pkg.sub\n")
    assert imported_modules("pkg", package, modules) == {"pkg.sub.leaf", "pkg.other"}
    assert imported_modules("pkg.sub.leaf", leaf, modules) == {"pkg.other", "pkg.sub"}


def test_no_import_cycles():
    modules = package_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (arrows should point down):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_vocoder_imports_nothing_from_latentaudio():
    modules = package_modules()
    reaching_up = {name: sorted(t for t in imported_modules(name, path, modules) if t.split(".")[0] == "latentaudio")
                   for name, path in modules.items() if name.split(".")[0] == "vocoder"}
    assert not any(reaching_up.values()), reaching_up


def test_help_and_data_import_without_torch():
    """`latentaudio --help` and `import latentaudio.data` load no torch, diffusers or transformers."""
    probe = ("import sys\n{}\nheavy = sorted({{'torch', 'diffusers', 'transformers'}} & set(sys.modules))\n"
             "assert not heavy, heavy")
    for statement in ("import latentaudio.data",
                      "from latentaudio.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"):
        result = subprocess.run([sys.executable, "-c", probe.format(statement)], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
