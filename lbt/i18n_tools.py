"""For developers: extract marked strings into the catalogs and compile them (``lbt i18n ...``)."""

from __future__ import annotations

import copy
import io
import struct
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from lbt.core.resources import PACKAGE_DIR, resource_dir
from lbt.web.i18n import LOCALES, TRANSLATIONS_DIR

DOMAIN = "messages"
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
    "Nn_": (1, 2),
    "_lp": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
TRANSLATED_LOCALES = tuple(locale for locale in LOCALES if locale != "en")

# A compiled message: (context, msgid or the tuple of singular and plural) -> translation(s)
MessageKey = tuple[str | None, str | tuple[str, ...]]
Translation = str | tuple[str, ...]


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


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def compiled_messages(catalog: Catalog) -> dict[MessageKey, Translation]:
    """What a .mo compiled from ``catalog`` says, as ``write_mo(use_fuzzy=False)`` writes it: every
    non-fuzzy message with a translation (empty plural forms fall back to the msgid, as in write_mo),
    keyed by context and msgid. Works alike on a catalog read from a .po and one read back from a .mo
    (``read_mo``), so the two can be compared by their messages rather than by their bytes, which
    change with the Babel version that wrote them. Of the header only the plural rule counts (gettext
    reads it from the .mo); its dates and its ``Generated-By`` line change nothing a reader sees.
    """
    messages: dict[MessageKey, Translation] = {(None, ""): catalog.plural_forms}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, list | tuple):
            ids = tuple(message.id)
            strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
            messages[(message.context, ids)] = tuple(
                string or ids[min(index, 1)] for index, string in enumerate(strings)
            )
        else:
            messages[(message.context, message.id)] = message.string
    return messages


def read_compiled(locale: str) -> Catalog | None:
    """The locale's committed .mo, or None when it is missing or unreadable."""
    path = mo_path(locale)
    try:
        with path.open("rb") as handle:
            return read_mo(handle)
    except (OSError, ValueError, struct.error):  # missing, bad magic, truncated, not UTF-8
        return None


def compiled_differences(source: Catalog, compiled: Catalog | None, limit: int = 10) -> list[str]:
    """How the messages of a compiled catalog (read from a .mo) differ from those of its source
    (.po); an empty list when the .mo says exactly what compiling the .po would."""
    if compiled is None:
        return ["the .mo is missing or unreadable"]
    want, have = compiled_messages(source), compiled_messages(compiled)
    differences = [f"missing from the .mo: {key!r}" for key in want.keys() - have.keys()]
    differences += [
        f"in the .mo but not (or only fuzzy) in the .po: {key!r}" for key in have.keys() - want.keys()
    ]
    differences += [
        f"{key!r}: the .mo says {have[key]!r}, the .po {want[key]!r}"
        for key in want.keys() & have.keys()
        if want[key] != have[key]
    ]
    return sorted(differences)[:limit]


def compile_catalogs() -> list[Path]:
    """Compile each .po into its .mo; a .mo that already says the same is left as it is, so a
    newer Babel (which writes other bytes for the same messages) does not churn committed files."""
    written = []
    for locale in LOCALES:
        catalog = read_catalog(locale)
        if not compiled_differences(catalog, read_compiled(locale)):
            continue
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        target = mo_path(locale)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(buffer.getvalue())
        written.append(target)
    return written
