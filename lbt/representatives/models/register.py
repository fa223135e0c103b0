"""The register of border representatives: who holds which post on which side of a section, and since when."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lbt.accounts.models import User
from lbt.audit.models import Audited
from lbt.core.db import Base, enum_type, stamped
from lbt.reference.models import BorderSection, State
from lbt.representatives.enums import Post
from lbt.representatives.models.indexes import partial_unique
from lbt.representatives.models.shared_ids import shared_id


class Representative(Audited, Base):
    """One appointment to a post; a replacement ends it, so the rows are the history of the post."""

    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = shared_id()
    section_id: Mapped[int] = mapped_column(ForeignKey("border_sections.id"))
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id"), index=True)
    post: Mapped[Post] = mapped_column(enum_type(Post, "post"))
    full_name: Mapped[str] = mapped_column(String(200))
    credentials_number: Mapped[str] = mapped_column(String(60))
    contact: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    appointed_from: Mapped[date]
    appointed_until: Mapped[date | None]  # exclusive; None while in office
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    created_at: Mapped[datetime] = stamped()
    # linked instances: the id of the partner's message this entry was last received in (the partner
    # keeps it; here it is read-only), and the SHA-256 of this side's entry as last sent to the partner
    received_in: Mapped[str] = mapped_column(String(36), default="")
    sent_sha256: Mapped[str] = mapped_column(String(64), default="")

    section: Mapped[BorderSection] = relationship()
    state: Mapped[State] = relationship()
    user: Mapped[User | None] = relationship()
    replaces: Mapped[Representative | None] = relationship(remote_side=[id])

    __table_args__ = (
        Index("ix_representatives_post", "section_id", "state_id", "post", "appointed_from"),
        # one border representative in office per side of a section; a race hits this index
        partial_unique(
            "uq_representatives_one_chief",
            "section_id",
            "state_id",
            where="post = 'border_representative' AND appointed_until IS NULL",
        ),
        CheckConstraint(
            "appointed_until IS NULL OR appointed_until >= appointed_from", name="appointment_order"
        ),
        CheckConstraint("credentials_number <> ''", name="credentials"),
    )

    def audit_label(self) -> str:
        return f"{self.post.value}:{self.full_name}"

    def in_office_on(self, day: date) -> bool:
        return self.appointed_from <= day and (self.appointed_until is None or day < self.appointed_until)
