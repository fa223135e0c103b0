"""Backups of an instance: ``lbt backup`` and ``lbt restore`` (docs/operations.md, "Backups")."""

from lbt.backup.archive import BackupError, Manifest
from lbt.backup.instance import Part
from lbt.backup.postgresql import Tools
from lbt.backup.services import Instance, RestorePlan, make_backup, prepared_restore, record_restore, restore

__all__ = [
    "BackupError",
    "Instance",
    "Manifest",
    "Part",
    "RestorePlan",
    "Tools",
    "make_backup",
    "prepared_restore",
    "record_restore",
    "restore",
]
