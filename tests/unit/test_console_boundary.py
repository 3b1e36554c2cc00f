"""The console never imports ``workers``: the composition root hands it what it needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "console"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_console_module_imports_workers() -> None:
    files = sorted(CONSOLE.rglob("*.py"))
    assert len(files) > 10
    offenders = {str(f.relative_to(CONSOLE)): sorted(m for m in imported_modules(f)
                                                     if m == "workers" or m.startswith("workers."))
                 for f in files}
    assert {f: m for f, m in offenders.items() if m} == {}


def test_serving_the_console_loads_no_workers_module() -> None:
    """Not even through pipeline/ or config/: import the console alone and look."""
    code = ("import sys, console.app, console.server, console.routes.ops; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'workers'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=CONSOLE.parent)
    assert out.stdout.strip() == "[]"
