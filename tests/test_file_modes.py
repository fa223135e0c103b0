"""Personal data on disk (the SQLite database with its password hashes, the uploaded documents, the
instance folder) is readable by the app's user only, like the signing keys: folders 0700, files 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lbt.storage.uploads import JPEG, CheckedFile, FileStore


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask (022), under which folders used to be made 0755 and files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_upload_folder_and_its_files_are_private(tmp_path):
    store = FileStore(tmp_path / "instance" / "uploads")
    stored = store.save(CheckedFile(JPEG, b"\xff\xd8\xff data", "me.jpg"))
    assert mode(store.directory) == 0o700
    assert mode(store.directory / stored.stored_name) == 0o600


def test_an_upload_folder_made_before_with_wider_rights_is_closed(tmp_path):
    directory = tmp_path / "uploads"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    FileStore(directory).save(CheckedFile(JPEG, b"\xff\xd8\xff data", "me.jpg"))
    assert mode(directory) == 0o700
