"""The application's history: every step appends an event (shown to the applicant when public), and
documents sent with a step hang on its event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lbt.accounts.models import User
from lbt.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    DocumentKind,
    EventKind,
)
from lbt.storage.models import StoredFile


def add_event(
    application: Application,
    kind: EventKind,
    now: datetime,
    *,
    actor: User | None = None,
    message: str = "",
    public: bool = True,
) -> ApplicationEvent:
    event = ApplicationEvent(
        kind=kind, at=now, actor_id=actor.id if actor else None, message=message, is_public=public
    )
    application.events.append(event)
    return event


def attach_documents(
    application: Application,
    documents: Sequence[tuple[DocumentKind, StoredFile]],
    event: ApplicationEvent,
    now: datetime,
) -> None:
    for kind, stored in documents:
        application.documents.append(ApplicationDocument(kind=kind, file=stored, event=event, created_at=now))
