"""The design's structural rules, checked on the source: no signals, no writes in views/API."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "layan"
WRITE_METHODS = {"save", "create", "bulk_create", "bulk_update", "update", "delete", "get_or_create",
                 "update_or_create"}


def _python_files(root: Path):
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def _thin_modules():
    """views.py (and *_views.py) anywhere and every module of the API package: they parse, check access, call a
    service and render."""
    return [p for p in _python_files(SRC) if p.name.endswith("views.py") or p.parent.name == "api"]


def test_no_module_uses_django_signals():
    offenders = []
    for path in _python_files(SRC):
        text = path.read_text()
        if "django.dispatch" in text or "@receiver" in text or "post_save" in text or "pre_save" in text:
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


@pytest.mark.parametrize("path", _thin_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_views_and_api_modules_never_write_to_the_database(path):
    tree = ast.parse(path.read_text())
    # @router.delete(...) declares a route; it is not a write.
    decorators = {id(d) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                  for d in node.decorator_list}
    writes = [
        f"line {node.lineno}: .{node.func.attr}()" for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and id(node) not in decorators and node.func.attr in WRITE_METHODS
    ]
    assert writes == []


@pytest.mark.parametrize("path", _thin_modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_views_and_api_modules_read_through_selectors_not_the_orm(path):
    tree = ast.parse(path.read_text())
    direct = [
        f"line {node.lineno}" for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "objects"
    ]
    assert direct == []


def test_models_modules_have_no_side_effects_in_save():
    offenders = [
        f"{path.relative_to(SRC)}:{node.lineno} overrides {node.name}()"
        for path in SRC.rglob("models.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in {"save", "delete"}
    ]
    assert offenders == []
