"""Imports point down the layer order (docs/architecture.md): no app imports a higher one."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# INSTALLED_APPS lists Bugtrack's apps in layer order, lowest first.
LAYERS = [app for app in settings.INSTALLED_APPS if (ROOT / app / "__init__.py").exists()]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def upward_imports() -> list[str]:
    rank = {app: n for n, app in enumerate(LAYERS)}
    wrong = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line, module in imported_modules(path):
                target = module.split(".")[0]
                # Everyone reads settings; bugtrack's other modules are the composition root.
                if target in rank and rank[target] > rank[app] and module != "bugtrack.settings":
                    wrong.append(f"{path.relative_to(ROOT)}:{line} ({app}) imports {module}")
    return wrong


def test_the_layers_are_the_installed_apps_in_order():
    assert LAYERS[0] == "core" and LAYERS[-1] == "bugtrack"
    assert LAYERS.index("ingest") < LAYERS.index("digest") < LAYERS.index("api")


def test_no_app_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    # The check itself must be able to fail: a lower app importing a higher one is reported.
    fake = tmp_path / "core"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("from issues.models import Issue\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert upward_imports() == ["core/bad.py:1 (core) imports issues.models"]
