"""The backup archive: a gzip-compressed tar of the database dump, the instance's files and, last, a
manifest (format version, schema revision, database kind, time, SHA-256 and size of every member).

Reading checks everything before anything is used: the member names (no absolute paths, no ``..``,
regular files only, each once), every member against the manifest and the manifest against the
members. A truncated, damaged or changed archive is refused with a message that says which."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

FORMAT = "lbt-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_PREFIX = "database/"
INSTANCE_PREFIX = "instance/"
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # one line per member: room for a million uploads
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What an archive says about itself."""

    created_at: datetime
    database_kind: str  # "sqlite" or "postgresql"
    schema_revision: str
    database_member: str
    instance_parts: tuple[str, ...]  # the parts the instance had (a restore replaces exactly these)
    members: Mapping[str, Member] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)  # versions of the tools and the server

    def to_json(self) -> bytes:
        content = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at.isoformat(),
            "database": {
                "kind": self.database_kind,
                "schema_revision": self.schema_revision,
                "member": self.database_member,
                **self.details,
            },
            "instance_parts": list(self.instance_parts),
            "members": {
                name: {"sha256": member.sha256, "size": member.size} for name, member in self.members.items()
            },
        }
        return (json.dumps(content, indent=1, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            content = json.loads(data)
            if content.get("format") != FORMAT:
                raise BackupError("this is not an lbt backup (its manifest names another format)")
            version = content.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise BackupError(
                    f"the archive has format version {version!r}, newer than this lbt reads "
                    f"({FORMAT_VERSION}): restore it with the lbt version that made it"
                )
            database = dict(content["database"])
            members = {
                str(name): Member(str(item["sha256"]), int(item["size"]))
                for name, item in content["members"].items()
            }
            manifest = cls(
                created_at=datetime.fromisoformat(content["created_at"]),
                database_kind=str(database.pop("kind")),
                schema_revision=str(database.pop("schema_revision")),
                database_member=str(database.pop("member")),
                instance_parts=tuple(str(part) for part in content["instance_parts"]),
                members=members,
                details={str(key): str(value) for key, value in database.items()},
            )
        except BackupError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"the archive's manifest is not readable ({error!r})") from None
        if manifest.created_at.tzinfo is None:
            raise BackupError("the archive's manifest gives its time without a time zone")
        return manifest


def check_member_name(name: str) -> None:
    """Only the names a backup writes: a relative path inside ``database/`` or ``instance/``."""
    path = PurePosixPath(name)
    if (
        name != path.as_posix()
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in path.parts)
        or not (name == MANIFEST or name.startswith((DATABASE_PREFIX, INSTANCE_PREFIX)))
        or "\\" in name
        or "\x00" in name
    ):
        raise BackupError(f"the archive holds a member named {name!r}, which no lbt backup writes")


class _Hashing(io.RawIOBase):
    """Reads ``size`` bytes of a file while hashing them (tarfile copies from it)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


class ArchiveWriter:
    """Adds members to a tar.gz and keeps their checksums for the manifest."""

    def __init__(self, tar: tarfile.TarFile, mtime: float) -> None:
        self.tar = tar
        self.mtime = mtime
        self.members: dict[str, Member] = {}

    def add_file(self, name: str, path: Path) -> None:
        check_member_name(name)
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            info = self._info(name, size)
            reader = _Hashing(handle)
            self.tar.addfile(info, reader)  # type: ignore[arg-type]  # a readable binary stream
        self.members[name] = Member(reader.digest.hexdigest(), size)

    def add_bytes(self, name: str, data: bytes) -> None:
        self.tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(self.mtime)
        return info


@contextmanager
def writing(out: Path, mtime: float) -> Iterator[ArchiveWriter]:
    """The archive appears at ``out`` whole (mode 0600) or not at all: written beside it, synced, renamed."""
    directory = out.resolve().parent
    if not directory.is_dir():
        raise BackupError(f"the folder {directory} does not exist")
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".lbt-backup-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # personal data, password hashes and private keys
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT) as tar:
                yield ArchiveWriter(tar, mtime)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _copy_member(source: IO[bytes], target: BinaryIO | None) -> Member:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return Member(digest.hexdigest(), size)


def unpack(archive: Path, into: Path) -> Manifest:
    """Extract every member below ``into`` (files 0600) and return the manifest once every member has
    been checked against it. Raises ``BackupError`` for anything an intact backup would not hold."""
    found: dict[str, Member] = {}
    manifest_data: bytes | None = None
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for info in tar:
                check_member_name(info.name)
                if not info.isfile():
                    raise BackupError(f"the archive's member {info.name!r} is not a plain file")
                if info.name in found or (info.name == MANIFEST and manifest_data is not None):
                    raise BackupError(f"the archive holds {info.name!r} twice")
                source = tar.extractfile(info)
                assert source is not None  # a regular file always has content
                if info.name == MANIFEST:
                    if info.size > _MAX_MANIFEST_BYTES:
                        raise BackupError("the archive's manifest is too large to be genuine")
                    manifest_data = source.read()
                    continue
                target = into.joinpath(*PurePosixPath(info.name).parts)
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    found[info.name] = _copy_member(source, handle)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(f"the archive is truncated or damaged ({error})") from None
    except OSError as error:
        if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
            raise BackupError(f"cannot read or unpack the archive: {error}") from None
        raise BackupError(f"the archive is truncated or damaged ({error})") from None
    if manifest_data is None:
        raise BackupError("the archive has no manifest: it is truncated or not an lbt backup")
    manifest = Manifest.from_json(manifest_data)
    _compare(manifest, found)
    return manifest


def _compare(manifest: Manifest, found: Mapping[str, Member]) -> None:
    for name in manifest.members:
        check_member_name(name)
    missing = sorted(set(manifest.members) - set(found))
    if missing:
        raise BackupError(
            f"the archive lacks {len(missing)} member(s) its manifest lists, e.g. {missing[0]!r}"
        )
    extra = sorted(set(found) - set(manifest.members))
    if extra:
        raise BackupError(
            f"the archive holds {len(extra)} member(s) its manifest does not list, e.g. {extra[0]!r}"
        )
    for name, expected in sorted(manifest.members.items()):
        if found[name] != expected:
            raise BackupError(
                f"the member {name!r} does not match the checksum in the manifest: the archive was changed "
                "or damaged after it was made"
            )
    if manifest.database_member not in found or not manifest.database_member.startswith(DATABASE_PREFIX):
        raise BackupError("the archive's manifest names no database dump that the archive holds")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
