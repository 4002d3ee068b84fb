"""The package's standing structure rules (issue 16), checked on the source text.

- layers point down: nothing inside ``emoeval`` imports the public facade ``emoeval.api``
  except the CLI layer (``cli.py`` and ``commands/``);
- no import cycle among the package's modules, counting imports inside functions (registry
  ``"module:object"`` strings are not imports);
- no module over 500 lines;
- no branch on a task's name outside the task packages and the registry.

Imports are read with :mod:`ast` (module level and inside functions, relative imports
resolved), so a deferred import cannot hide a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "emoeval"
MAX_LINES = 500


# packages where a task's own name may be tested: the task packages and the registry
TASK_PLACES = ("emoeval/classification/", "emoeval/multilabel/", "emoeval/generative/",
               "emoeval/dimensional/", "emoeval/similarity/", "emoeval/annotations/",
               "emoeval/registry.py", "emoeval/task.py")
TASK_BRANCH = re.compile(r"task (==|!=|in) ")


def package_modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    modules = {}
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = package_modules()


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE_ROOT.parent).as_posix()


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the statements under ``if TYPE_CHECKING:`` (never run, so never a cycle)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def imported_modules(name: str) -> set[str]:
    """The package modules ``name`` imports anywhere in its file (functions included)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    skipped = type_checking_nodes(tree)
    base = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                source = f"{anchor}.{node.module}" if node.module else anchor
            else:
                source = node.module or ""
            for alias in node.names:
                # `from pkg import module` imports the module itself
                child = f"{source}.{alias.name}"
                found.add(child if child in MODULES else source)
    return {m for m in found if m in MODULES and m != name}


def import_graph() -> dict[str, set[str]]:
    return {name: imported_modules(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_import_reader_resolves_relative_and_deferred_imports():
    graph = import_graph()
    # the evaluate command imports the facade inside its function
    assert "emoeval.api" in graph["emoeval.commands.evaluate"]
    # a module-level relative import two levels up
    assert "emoeval.errors" in graph["emoeval.compare.runs"]


def test_only_the_cli_layer_imports_the_api_facade():
    offenders = [relative(MODULES[name]) for name, imported in import_graph().items()
                 if "emoeval.api" in imported
                 and name != "emoeval.cli" and not name.startswith("emoeval.commands")]
    assert offenders == [], f"these modules import emoeval.api (import from below it): {offenders}"


def test_no_import_cycle_counting_function_level_imports():
    found = cycles(import_graph())
    assert found == [], "import cycles among the package's modules: " + "; ".join(
        " <-> ".join(component) for component in found)


def test_no_module_over_500_lines():
    too_long = {}
    for path in MODULES.values():
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > MAX_LINES:
            too_long[relative(path)] = n_lines
    assert too_long == {}, f"modules over {MAX_LINES} lines (split them by family): {too_long}"


def test_no_task_name_branch_outside_task_packages():
    found = []
    for path in MODULES.values():
        where = relative(path)
        if where.startswith(TASK_PLACES):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TASK_BRANCH.search(line):
                found.append(f"{where}:{number}: {line.strip()}")
    assert found == [], "branches on a task's name (move them into the task's spec):\n" + \
        "\n".join(found)
