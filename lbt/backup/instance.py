"""The instance's files that a restore needs beside the database: the session key, the permit signing
keys and the uploads. Each is one *part*; a restore replaces a part whole (a key or upload made
after the backup goes, as the database rows that named it do), and leaves the rest of the instance
folder alone (checkpoints, the job queue, anything an operator keeps there)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lbt.backup.archive import INSTANCE_PREFIX, BackupError


@dataclass(frozen=True)
class Part:
    name: str  # its name in the archive, below instance/
    path: Path  # where it lives
    is_folder: bool

    def files(self) -> Iterator[tuple[str, Path]]:
        """(member name, file) of what the part holds now: regular files, not the hidden ones (a
        lock, a file being written), sorted so that two backups of the same files list them alike."""
        if not self.is_folder:
            if self.path.is_file() and not self.path.is_symlink():
                yield f"{INSTANCE_PREFIX}{self.name}", self.path
            return
        for root, folders, names in os.walk(self.path):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(names):
                file = Path(root) / name
                if name.startswith(".") or file.is_symlink() or not file.is_file():
                    continue
                relative = file.relative_to(self.path).as_posix()
                yield f"{INSTANCE_PREFIX}{self.name}/{relative}", file

    def exists(self) -> bool:
        return self.path.is_dir() if self.is_folder else self.path.is_file()

    def count(self) -> int:
        return sum(1 for _ in self.files())


def part_of(member: str, parts: tuple[Part, ...]) -> Part | None:
    """The part an ``instance/...`` member belongs to."""
    first = PurePosixPath(member.removeprefix(INSTANCE_PREFIX)).parts[0]
    for part in parts:
        if part.name == first and (part.is_folder or member == f"{INSTANCE_PREFIX}{part.name}"):
            return part
    return None


def left_out(instance: Path, parts: tuple[Part, ...], database_file: Path | None) -> list[str]:
    """What the instance folder holds beside the parts and the database (said, not backed up)."""
    if not instance.is_dir():
        return []
    known = {part.path.resolve() for part in parts}
    database = {database_file.resolve()} if database_file else set()
    if database_file is not None:
        database |= {
            database_file.with_name(database_file.name + suffix).resolve()
            for suffix in ("-wal", "-shm", "-journal")
        }
    others = []
    for entry in sorted(instance.iterdir()):
        resolved = entry.resolve()
        if entry.name.startswith(".") or resolved in known or resolved in database:
            continue
        others.append(entry.name + ("/" if entry.is_dir() else ""))
    return others


def swap_in(parts: tuple[Part, ...], present: tuple[str, ...], staged: Path, replaced: Path) -> None:
    """Put the staged parts in place of the live ones (each a rename on one file system); on an error
    the parts already swapped are put back."""
    replaced.mkdir(mode=0o700, exist_ok=True)
    done: list[Part] = []
    try:
        for part in parts:
            if part.name not in present:
                continue
            new = staged / part.name
            if part.is_folder and not new.exists():
                new.mkdir(mode=0o700)  # the part was there, empty
            if not new.exists():
                raise BackupError(f"the archive lacks {part.name}, which its manifest says the instance had")
            part.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if part.path.exists():
                os.replace(part.path, replaced / part.name)
            os.replace(new, part.path)
            done.append(part)
    except OSError as error:
        for part in reversed(done):
            try:
                os.replace(part.path, staged / part.name)
                if (replaced / part.name).exists():
                    os.replace(replaced / part.name, part.path)
            except OSError:
                continue
        raise BackupError(f"cannot put the instance's files in place: {error}") from None
