"""The package's rooms and what may import what (docs/architecture.md).

Every module of `sped` lives in a room (a sub-package); the rooms are stacked in layers and a
module may import only from its own room or a room below it, whether the import is at the top
of the module or inside a function. The few exceptions are named below, module by module, with
the reason; a new upward import fails here. The order is the table of docs/architecture.md,
read from there so that the page and the rule cannot drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sped.config.settings import REPO_ROOT

ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"

#: Upward imports allowed, (importing module, imported module or package, names from it
#: included): each has its reason in docs/architecture.md ("Exceptions").
EXCEPTIONS = {
    ("sped.config.profile", "sped.contracts"),
    ("sped.config.profile", "sped.ingest.limits"),
    ("sped.contracts.dbt", "sped.warehouse.schema"),
}


def layers() -> list[str]:
    """The rooms from the top layer down, as docs/architecture.md's table lists them."""
    rows = re.findall(r"^\| *\d+ *\| *`([a-z_./]+)/?` *\|", ARCHITECTURE.read_text(), re.M)
    return [row.strip("/").replace("/", ".") for row in rows]


def excepted(module: str, target: str) -> bool:
    return any(module == m and (target == t or target.startswith(f"{t}.")) for m, t in EXCEPTIONS)


def room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "dagster_project":
        return "dagster_project"
    if parts[0] != "sped" or len(parts) == 1:
        return None  # a library, or the root package (its __init__ only quiets the process)
    return f"sped.{parts[1]}"


def imports(path: Path) -> set[str]:
    """Every absolute import of the module, at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules() -> dict[str, Path]:
    out = {}
    for base in ("sped", "dagster_project"):
        for path in sorted((REPO_ROOT / base).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def test_the_package_root_holds_no_loose_module():
    loose = sorted(p.name for p in (REPO_ROOT / "sped").glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"put these in a room (docs/architecture.md): {loose}"


def test_every_room_is_in_the_table_once_with_a_docstring():
    order = layers()
    assert len(order) == len(set(order))
    rooms = {
        f"sped.{p.name}" for p in (REPO_ROOT / "sped").iterdir() if (p / "__init__.py").exists()
    }
    assert rooms | {"dagster_project"} == set(order)
    for name in order:
        init = REPO_ROOT / name.replace(".", "/") / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{name} has no docstring"


def test_no_module_imports_from_a_room_above_its_own():
    order = layers()
    rank = {name: len(order) - i for i, name in enumerate(order)}  # higher imports lower
    upward = []
    for module, path in modules().items():
        here = room(module)
        for target in imports(path):
            there = room(target)
            if there is None or there == here or excepted(module, target):
                continue
            if here is None:  # the root package's __init__: the process plumbing only
                if there != "sped.process":
                    upward.append(f"{module} -> {target}")
            elif rank[there] > rank[here]:
                upward.append(f"{module} -> {target}")
    assert upward == [], "imports from a higher room (docs/architecture.md):\n" + "\n".join(
        sorted(set(upward))
    )


def test_the_exceptions_are_still_needed_and_documented():
    """An exception no longer used is removed from the list (and the page)."""
    used = {(m, t) for m, p in modules().items() for t in imports(p)}
    assert used >= EXCEPTIONS, sorted(EXCEPTIONS - used)
    page = ARCHITECTURE.read_text()
    for module, target in EXCEPTIONS:
        assert f"`{module}` -> `{target}`" in page
