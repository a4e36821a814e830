"""The packages import each other in one direction only, and the engine imports nothing of ftz."""

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]


def imports(folder: str) -> dict[str, set[str]]:
    """Per package (or top-level module) of ``folder``, the other ftz packages it imports."""
    edges: dict[str, set[str]] = {}
    for path in (ROOT / folder).rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        unit = parts[1] if len(parts) > 2 else path.stem
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names] if node.module == "ftz" else [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("ftz.") and name.split(".")[1] != unit:
                    edges.setdefault(unit, set()).add(name.split(".")[1])
    return edges


def test_no_two_packages_of_ftz_import_each_other_even_through_others():
    edges = imports("ftz")

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert [unit for unit in sorted(edges) if unit in reachable(unit)] == []


def test_the_engine_imports_nothing_of_ftz():
    for path in (ROOT / "reconciliation").rglob("*.py"):
        assert "ftz" not in {n.split(".")[0] for n in _modules(path)}, path


def _modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found
