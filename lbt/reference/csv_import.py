"""Importing reference data from a CSV file, all or nothing.

Every row is read and checked by the same services a form uses; rows are matched to stored records
by their natural key (a code; for localities agreement, state, district and Latin name) and created
or updated. If any row is wrong, nothing changes and every wrong row is reported with its line.
Columns per kind: docs/reference-csv.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lbt.core.errors import N_, ValidationFailed
from lbt.reference.csv_columns import KINDS, OMITTED, Kind
from lbt.reference.lookup import Lookup

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_LINE = 1
PROGRESS_EVERY = 250  # rows between two progress reports
FLUSH_EVERY = 2500  # rows saved between two writes (within the one transaction: still all or nothing)

Progress = Callable[[int, int], None]  # (rows done, rows in the file)


def _no_progress(_done: int, _total: int) -> None:
    pass


@dataclass(frozen=True)
class RowError:
    """A refusal of one line (``None``: the file as a whole); ``error`` keeps the msgid and its values."""

    line: int | None
    error: ValidationFailed

    @property
    def column(self) -> str | None:
        return self.error.field


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rejected(Exception):
    """The file cannot be read as rows at all."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors[0].error.message)
        self.errors = errors


def _file_error(line: int | None, message: str, **params: Any) -> RowError:
    return RowError(line, ValidationFailed(message, None, **params))


def check_file(
    kind_name: str, content: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> tuple[RowError, ...]:
    """What is wrong with the file as a whole (size, encoding, CSV, header), read without the database:
    a page refuses such a file at once instead of queueing its import."""
    try:
        _read(content, KINDS[kind_name], max_rows=max_rows, max_bytes=max_bytes)
    except _Rejected as rejected:
        return rejected.errors
    return ()


def import_csv(
    session: Session,
    kind_name: str,
    content: bytes,
    *,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    progress: Progress = _no_progress,
) -> ImportResult:
    """Create or update the records of one kind ("state", "agreement", "locality", "crossing_point",
    "border_section") from a UTF-8 CSV file whose first line names the columns. ``progress`` hears how
    many rows were checked and saved (each row is counted twice: read, then saved)."""
    kind = KINDS[kind_name]
    try:
        header, rows = _read(content, kind, max_rows=max_rows, max_bytes=max_bytes)
    except _Rejected as rejected:
        return ImportResult(errors=rejected.errors)
    steps = 2 * len(rows)
    progress(0, steps)

    errors: list[RowError] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_line_of: dict[tuple[str, ...], int] = {}
    for number, (line, cells) in enumerate(rows, start=1):
        if number % PROGRESS_EVERY == 0:
            progress(number, steps)
        values, cell_errors = _values(kind, header, cells)
        errors.extend(RowError(line, error) for error in cell_errors)
        if cell_errors:
            continue
        key = kind.key(values)
        if key in first_line_of:
            errors.append(RowError(line, _duplicate(kind, first_line_of[key])))
            continue
        first_line_of[key] = line
        parsed.append((line, values))

    progress(len(rows), steps)
    savepoint = session.begin_nested()
    try:
        created, updated, save_errors = _save_all(
            session, kind, parsed, lambda saved: progress(len(rows) + saved, steps), clean=not errors
        )
        errors.extend(save_errors)
        if not errors:
            session.flush()
    except IntegrityError:  # another request saved a clashing record while we checked the file
        savepoint.rollback()
        return ImportResult(
            errors=(_file_error(None, N_("Someone else changed the same records meanwhile. Try again.")),)
        )
    if errors:
        savepoint.rollback()
        return ImportResult(errors=tuple(sorted(errors, key=lambda error: error.line or 0)))
    savepoint.commit()
    progress(steps, steps)
    return ImportResult(created=created, updated=updated)


def _duplicate(kind: Kind, first_line: int) -> ValidationFailed:
    return ValidationFailed(
        N_("Line %(first)d already has the same %(key)s."),
        kind.key_columns[-1],
        first=first_line,
        key=", ".join(kind.key_columns),
    )


def _save_all(
    session: Session,
    kind: Kind,
    parsed: list[tuple[int, dict[str, Any]]],
    progress: Callable[[int], None],
    *,
    clean: bool,
) -> tuple[int, int, list[RowError]]:
    """Save every row; while no row was refused (``clean``), the records are written every
    ``FLUSH_EVERY`` rows, so the progress counts rows written (the writing, audit entries included,
    is most of an import's time), not rows waiting for one flush at the end."""
    lookup = Lookup(session)
    lookup.preload(*kind.preload)
    created = updated = 0
    errors: list[RowError] = []
    for number, (line, values) in enumerate(parsed, start=1):
        if number % FLUSH_EVERY == 0 and clean and not errors:
            session.flush()
        if number % PROGRESS_EVERY == 0:
            progress(number)
        record = kind.find(lookup, values)
        given = {name: value for name, value in values.items() if value is not OMITTED}
        try:
            if record is None:
                kind.save(session, None, kind.data_class(**given), lookup=lookup, flush=False)
                created += 1
            else:
                kind.save(
                    session, record, replace(kind.data_class.of(record), **given), lookup=lookup, flush=False
                )
                updated += 1
        except ValidationFailed as error:
            errors.append(RowError(line, error))
    return created, updated, errors


def _values(kind: Kind, header: list[str], cells: list[str]) -> tuple[dict[str, Any], list[ValidationFailed]]:
    if len(cells) != len(header):
        return {}, [
            ValidationFailed(
                N_("This line has %(found)d values, but the header names %(expected)d columns."),
                None,
                found=len(cells),
                expected=len(header),
            )
        ]
    columns = {column.name: column for column in kind.columns}
    values: dict[str, Any] = {}
    errors: list[ValidationFailed] = []
    for name, cell in zip(header, cells, strict=True):
        try:
            values[name] = columns[name].value(cell)
        except ValidationFailed as error:
            errors.append(error)
    return values, errors


def _read(
    content: bytes, kind: Kind, *, max_rows: int, max_bytes: int
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows with the line each starts on; raises ``_Rejected``."""
    if len(content) > max_bytes:
        raise _Rejected(
            _file_error(None, N_("The file is larger than %(size)d MB."), size=max(1, max_bytes >> 20))
        )
    if b"\x00" in content:
        raise _Rejected(
            _file_error(None, N_("This is not a CSV text file. Save the table as “CSV UTF-8” and try again."))
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Rejected(
            _file_error(
                content.count(b"\n", 0, error.start) + 1,
                N_("The file is not UTF-8 text. Save the table as “CSV UTF-8” and try again."),
            )
        ) from error
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = _rows(text, delimiter)
    try:
        header_line, header_cells = next(rows, (HEADER_LINE, []))
        header = _check_header(kind, [cell.strip().lower() for cell in header_cells], header_line)
        body: list[tuple[int, list[str]]] = []
        for line, cells in rows:
            if len(body) == max_rows:
                raise _Rejected(
                    _file_error(
                        None,
                        N_("The file has more than %(count)d rows. Split it into smaller files."),
                        count=max_rows,
                    )
                )
            body.append((line, cells))
    except csv.Error as error:
        raise _Rejected(
            _file_error(None, N_("The file is not valid CSV: %(reason)s."), reason=str(error))
        ) from error
    return header, body


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Rows that are not blank, each with the line it starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield line, cells
        line = reader.line_num + 1


def _check_header(kind: Kind, header: list[str], line: int) -> list[str]:
    if not any(header):
        raise _Rejected(
            _file_error(HEADER_LINE, N_("The file is empty: its first line must name the columns."))
        )
    known = [column.name for column in kind.columns]
    errors = []
    unknown = [name for name in header if name not in known]
    if unknown:
        errors.append(
            _file_error(
                line,
                N_("Unknown column(s): %(unknown)s. The columns are: %(known)s."),
                unknown=", ".join(unknown),
                known=", ".join(known),
            )
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        errors.append(
            _file_error(line, N_("Column(s) named twice: %(columns)s."), columns=", ".join(repeated))
        )
    missing = [column.name for column in kind.columns if column.required and column.name not in header]
    if missing:
        errors.append(_file_error(line, N_("Missing column(s): %(missing)s."), missing=", ".join(missing)))
    if errors:
        raise _Rejected(*errors)
    return header
