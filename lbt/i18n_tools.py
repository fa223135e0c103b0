"""For developers: extract marked strings into the catalogs and compile them (``lbt i18n ...``)."""

from __future__ import annotations

import copy
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from lbt.core.resources import PACKAGE_DIR, resource_dir
from lbt.web.i18n import LOCALES, TRANSLATIONS_DIR

DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None, "Nn_": (1, 2)}
TRANSLATED_LOCALES = tuple(locale for locale in LOCALES if locale != "en")


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every string marked for translation in lbt/ (Python) and templates/ (Jinja)."""
    catalog = Catalog(project="lbt", charset="utf-8")
    sources = [
        (PACKAGE_DIR, [("**.py", "python")], PACKAGE_DIR.parent),
        (resource_dir("templates"), [("**.html", "jinja2")], resource_dir("templates").parent),
    ]
    for directory, method_map, root in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(directory),
            method_map,
            keywords=KEYWORDS,
            strip_comment_tags=True,
            # Babel skips folders starting with "_" by default, which would miss templates/_macros
            directory_filter=lambda path: Path(path).name != "__pycache__",
        ):
            location = (str((Path(directory) / filename).relative_to(root)), lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="lbt", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def update_catalogs() -> dict[str, int]:
    """Merge newly marked strings into each .po; return how many remain untranslated per locale."""
    template = extract()
    untranslated: dict[str, int] = {}
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        if locale == "en":  # the source language: each message is its own translation
            for message in catalog:
                if message.id and (
                    not message.string or (isinstance(message.id, tuple) and not all(message.string))
                ):
                    message.string = message.id
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False, omit_header=False)
        untranslated[locale] = len(missing_translations(catalog))
    return untranslated


def missing_translations(catalog: Catalog) -> list[str]:
    """The messages of a catalog that have no (or only a fuzzy) translation."""
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(str(message.id))
    return missing


def compile_catalogs() -> list[Path]:
    written = []
    for locale in LOCALES:
        catalog = read_catalog(locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = po_path(locale).with_suffix(".mo")
        if not target.exists() or target.read_bytes() != buffer.getvalue():
            target.write_bytes(buffer.getvalue())
            written.append(target)
    return written
