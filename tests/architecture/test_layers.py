"""The import rules of README "Layout" hold and are enforced: `worker.py` imports no
other adapter, and `lint-imports` fails the build when the web imports the command line."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: What the worker adapter may import of the project: the composition root, the tick
#: layer (the scheduler) and below; never the command line or the web.
ADAPTERS = {"cli", "web"}


def _project_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_worker_py_runs_through_the_root_and_the_tick_layer_and_imports_no_other_adapter() -> None:
    imports = _project_imports(REPO / "worker.py")
    assert not imports & ADAPTERS, imports
    assert {"root", "tick"} <= imports


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command;"
                           " lint_imports_command()"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=300)


def test_lint_imports_passes_on_the_tree_and_fails_when_the_web_imports_the_command_line(
        tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("tests", "benchmarks", "docs", ".git", "__pycache__", "*.pyc",
                                    ".ci", "*.docx", "*.xlsx", "*.png")
    tree.mkdir()
    shutil.copy(REPO / "pyproject.toml", tree)
    for package in ("cli", "web", "root", "tick", "documents", "reports", "ewp", "migrations",
                    "notifications", "workflow", "models", "config"):
        shutil.copytree(REPO / package, tree / package, ignore=ignore)
    clean = _lint_imports(tree)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    target = tree / "web" / "__init__.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom cli import main  # noqa\n",
                      encoding="utf-8")
    broken = _lint_imports(tree)
    assert broken.returncode != 0
    assert "The web does not import the command line BROKEN" in broken.stdout
    assert "web -> cli" in broken.stdout
