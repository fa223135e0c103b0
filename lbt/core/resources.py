"""Where the package's files are: templates/, static/ and migrations/ sit beside the package in a
checkout, inside it in a built wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resource_dir(name: str) -> Path:
    """templates/, static/ and migrations/ sit beside the package in a checkout, inside it in a wheel."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name
