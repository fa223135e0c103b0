"""The pip exports in requirements/ agree with uv.lock, so what the README installs is what is locked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", re.M)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, str]:
    packages = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["package"]
    return {_normal(p["name"]): p["version"] for p in packages if p["name"] != "lbt"}


@pytest.mark.parametrize("export", ["app.txt", "test.txt", "uv.txt"])
def test_every_pin_of_the_export_is_the_locked_release_with_hashes(export):
    text = (ROOT / "requirements" / export).read_text(encoding="utf-8")
    pins = {_normal(name): version for name, version in PIN.findall(text)}
    assert pins, "no pins"
    assert {name: version for name, version in pins.items() if locked().get(name) != version} == {}
    assert "--hash=sha256:" in text


def test_the_test_export_holds_every_locked_package():
    pins = {_normal(name) for name, _ in PIN.findall((ROOT / "requirements" / "test.txt").read_text())}
    # packages only for other platforms appear in the export with their markers too
    assert set(locked()) - pins == set()


def _fenced_after(heading: str) -> str:
    """The first command of the README's fenced block under ``heading``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    return section.split("```sh\n", 1)[1].split("\n", 1)[0]


def test_the_readme_commands_and_ci_install_from_uv_lock():
    run, test = _fenced_after("## Run it (one command)"), _fenced_after("## Test it (one command)")
    for command in (run, test):
        assert "-r requirements/uv.txt" in command and "uv sync --active --locked" in command, command
    assert run.endswith("lbt serve --demo") and test.endswith("&& pytest")
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the README's test command
