"""The layering of docs/architecture.md, checked on the source: every import goes down a layer or stays
in its own, an area's views and forms never import another area's, the core, storage and the areas'
domain modules import no Flask, and no module grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lbt"
CORE, STORAGE, DOMAIN, WEB, INTERFACE, COMPOSITION = range(6)
LAYER_NAMES = ("core", "storage", "domain", "web", "interface", "composition")
COMPOSITION_MODULES = {"lbt", "lbt.app", "lbt.models", "lbt.i18n_tools"}
COMPOSITION_PACKAGES = ("lbt.cli", "lbt.demo")
WEB_FRAMEWORK = {
    "flask",
    "flask_login",
    "flask_wtf",
    "flask_babel",
    "flask_limiter",
    "wtforms",
    "werkzeug",
    "jinja2",
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_interface(module: str) -> bool:
    """An area's views, forms and labels (the words shown for its codes), and its ``views`` packages."""
    return any(
        part in ("views", "forms", "labels") or part.endswith(("_views", "_forms", "_labels"))
        for part in module.split(".")[2:]
    )


def layer(module: str) -> int:
    if (
        module in COMPOSITION_MODULES
        or module.startswith(tuple(f"{name}." for name in COMPOSITION_PACKAGES))
        or module in COMPOSITION_PACKAGES
    ):
        return COMPOSITION
    top = module.split(".")[1]
    if top == "core":
        return CORE
    if top == "storage":
        return STORAGE
    if top == "web":
        return WEB
    return INTERFACE if is_interface(module) else DOMAIN


def area(module: str) -> str:
    return module.split(".")[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at the top or inside a function."""
    found: list[tuple[int, str]] = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # "from lbt.x import module" imports a module too
            found.extend(
                (node.lineno, f"{target}.{alias.name}")
                for alias in node.names
                if _is_module(f"{target}.{alias.name}")
            )
    return found


def _is_module(name: str) -> bool:
    if not name.startswith("lbt."):
        return False
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_layer_rules_know_every_kind_of_module():
    assert layer("lbt.core.db") == CORE
    assert layer("lbt.storage.uploads") == STORAGE
    assert layer("lbt.permits.services") == DOMAIN
    assert layer("lbt.web.state") == WEB
    assert layer("lbt.applications.resident_views") == INTERFACE
    assert layer("lbt.representatives.views.meetings") == INTERFACE
    assert layer("lbt.cli.core") == COMPOSITION


def test_every_import_goes_down_or_stays_in_its_layer():
    wrong = []
    for path in SOURCES:
        importer = module_name(path)
        for line, imported in imports_of(path):
            if imported.startswith("lbt.") or imported == "lbt":
                if imported == "lbt" and layer(importer) != COMPOSITION:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports the package root")
                elif imported != "lbt" and layer(imported) > layer(importer):
                    wrong.append(
                        f"{path.relative_to(PACKAGE.parent)}:{line} ({LAYER_NAMES[layer(importer)]}) imports "
                        f"{imported} ({LAYER_NAMES[layer(imported)]})"
                    )
    assert wrong == []


def test_an_area_never_imports_another_areas_views_or_forms():
    wrong = []
    for path in SOURCES:
        importer = module_name(path)
        if layer(importer) == COMPOSITION:
            continue
        for line, imported in imports_of(path):
            if (
                imported.startswith("lbt.")
                and layer(imported) == INTERFACE
                and area(imported) != area(importer)
            ):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert wrong == []


@pytest.mark.parametrize("kind", [CORE, STORAGE, DOMAIN], ids=lambda kind: LAYER_NAMES[kind])
def test_the_lower_layers_import_no_web_framework(kind):
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
        for path in SOURCES
        if layer(module_name(path)) == kind
        for line, imported in imports_of(path)
        if imported.split(".")[0] in WEB_FRAMEWORK
    ]
    assert wrong == []


def test_no_module_is_longer_than_400_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): count
        for path in SOURCES
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
