"""Reads an XLSX with the standard library (zipfile + XML): the first sheet's cells as rows, so a test
can compare them with the page's table without a spreadsheet library."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)  # type: ignore[union-attr]
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def read_cells(data: bytes) -> tuple[list[list[object]], dict[str, str]]:
    """The first sheet's rows (text as str, numbers as int or float, empty as None), and the cells'
    types by reference ("s" shared text, "n" number, "str"/"f" a formula)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))  # noqa: S314 (our own output)
            shared = ["".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")) for item in root]
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314 (our own output)
    rows: list[list[object]] = []
    types: dict[str, str] = {}
    for row in sheet.iterfind("m:sheetData/m:row", NS):
        values: list[object] = []
        for cell in row.iterfind("m:c", NS):
            reference, kind = cell.get("r", ""), cell.get("t", "n")
            if cell.find("m:f", NS) is not None:
                kind = "f"
            types[reference] = kind
            raw = cell.findtext("m:v", default=None, namespaces=NS)
            while len(values) < _column(reference):
                values.append(None)
            if kind == "s":
                values.append(shared[int(raw or 0)])
            elif kind == "inlineStr":
                values.append("".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t")))
            elif raw is None:
                values.append(None)
            else:
                number = float(raw)
                values.append(int(number) if number.is_integer() else number)
        rows.append(values)
    return rows, types
