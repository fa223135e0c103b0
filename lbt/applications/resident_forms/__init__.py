"""Forms of the resident pages (the application, the status login, answers and reconsideration) and
the uploads they carry.

The forms check shape only (required, lengths, formats, date order); the rules of the agreement are the
service's job. Choices that come from the database (localities, states, reasons) are filled in by the view.
Uploads that passed their checks survive a refused form: they are stored at once and carried to the next
submission by a signed token, so nobody on a slow connection has to send a photo twice.

``apply`` holds the application form, ``status`` the forms of the status pages, ``uploads`` the kept
uploads, ``common`` what they share; this package re-exports their public names.
"""

from __future__ import annotations

from lbt.applications.resident_forms.apply import (
    DOCUMENT_NUMBER,
    DOCUMENT_TYPE_LABELS,
    FAMILY_RELATIONSHIP_LABELS,
    KIND_LABELS,
    LATIN_NAME,
    MAX_APPLICATION_DOCUMENTS,
    PHONE,
    SEX_LABELS,
    ApplyForm,
)
from lbt.applications.resident_forms.common import CODE_INPUT, DOCUMENT_KIND_LABELS, DocumentEntry, error_list
from lbt.applications.resident_forms.status import (
    MAX_ANSWER_DOCUMENTS,
    AnswerForm,
    ReconsiderationForm,
    StatusLoginForm,
)
from lbt.applications.resident_forms.uploads import (
    BROWSER_KEY,
    REQUEST_MARGIN_BYTES,
    UPLOAD_MAX_AGE_SECONDS,
    UPLOAD_SALT,
    Kept,
    take_documents,
    take_photo,
    upload_limits,
)

__all__ = [
    "BROWSER_KEY",
    "CODE_INPUT",
    "DOCUMENT_KIND_LABELS",
    "DOCUMENT_NUMBER",
    "DOCUMENT_TYPE_LABELS",
    "FAMILY_RELATIONSHIP_LABELS",
    "KIND_LABELS",
    "LATIN_NAME",
    "MAX_ANSWER_DOCUMENTS",
    "MAX_APPLICATION_DOCUMENTS",
    "PHONE",
    "REQUEST_MARGIN_BYTES",
    "SEX_LABELS",
    "UPLOAD_MAX_AGE_SECONDS",
    "UPLOAD_SALT",
    "AnswerForm",
    "ApplyForm",
    "DocumentEntry",
    "Kept",
    "ReconsiderationForm",
    "StatusLoginForm",
    "error_list",
    "take_documents",
    "take_photo",
    "upload_limits",
]
