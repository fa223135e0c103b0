"""Forms of the representatives' pages. They check shape only; the services decide what the rules allow."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lbt.representatives.models import (
    ActionStatus,
    AgendaKind,
    ExchangeKind,
    HandOverKind,
    IncidentStatus,
    IncidentType,
    MeetingKind,
    MeetingStatus,
    Post,
    ProtocolStatus,
    RefusalReason,
)
from lbt.web.dates import LocalDateTimeField, TypedDateField
from lbt.web.forms import BaseForm, CheckboxesField

TEXT_LENGTH = 8000

MEETING_KIND_LABELS = {MeetingKind.REGULAR: _l("Regular"), MeetingKind.URGENT: _l("Urgent")}
MEETING_STATUS_LABELS = {
    MeetingStatus.REQUESTED: _l("Requested"),
    MeetingStatus.SCHEDULED: _l("Scheduled"),
    MeetingStatus.DECLINED: _lp("meeting status", "Declined"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}
EXCHANGE_LABELS = {
    ExchangeKind.PROPOSED: _l("Proposed"),
    ExchangeKind.COUNTER_PROPOSED: _l("Counter-proposed"),
    ExchangeKind.ACCEPTED: _l("Accepted"),
    ExchangeKind.DECLINED: _lp("step of a meeting exchange", "Declined"),
}
AGENDA_KIND_LABELS = {
    AgendaKind.ITEM: _l("Item"),
    AgendaKind.EARLIER_DECISION: _l("Implementation of earlier decisions"),
    AgendaKind.INCIDENT: _l("Incident"),
}
PROTOCOL_STATUS_LABELS = {ProtocolStatus.DRAFT: _l("Draft"), ProtocolStatus.SIGNED: _l("Signed and locked")}
ACTION_STATUS_LABELS = {
    ActionStatus.OPEN: _l("Open"),
    ActionStatus.IN_PROGRESS: _l("In progress"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.DISPUTED: _l("Disputed"),
    ActionStatus.ESCALATED: _l("Escalated"),
}
INCIDENT_TYPE_LABELS = {
    IncidentType.ILLEGAL_CROSSING: _l("Illegal crossing"),
    IncidentType.ACCIDENTAL_CROSSING: _l("Accidental crossing"),
    IncidentType.STRAY_LIVESTOCK: _l("Stray livestock"),
    IncidentType.PROPERTY: _l("Property"),
    IncidentType.BORDER_SIGN: _l("Border sign damaged or moved"),
    IncidentType.SHOOTING_OR_INJURY: _l("Shooting or injury"),
    IncidentType.FIRE_OR_FLOOD: _l("Fire or flood"),
    IncidentType.SMUGGLING: _l("Smuggling"),
    IncidentType.LBT_MISUSE: _l("Misuse of LBT permits"),
    IncidentType.OTHER: _l("Other"),
}
INCIDENT_STATUS_LABELS = {
    IncidentStatus.REPORTED: _l("Reported"),
    IncidentStatus.JOINT_INVESTIGATION: _l("Joint investigation"),
    IncidentStatus.RESOLVED: _l("Resolved"),
    IncidentStatus.ESCALATED: _l("Escalated"),
}
HAND_OVER_LABELS = {
    HandOverKind.PERSONS: _l("Persons"),
    HandOverKind.LIVESTOCK: _l("Livestock"),
    HandOverKind.PROPERTY: _l("Property"),
}
# a change the other instance refused (docs/exchange.md, "Concurrent edits"): what it was, and why
CHANGE_LABELS = {
    "meetings.held": _l("The meeting recorded as held"),
    "meetings.agenda_item": _l("An agenda item"),
    "meetings.participant": _l("A participant"),
    "meetings.text": _l("A text of the record"),
    "meetings.action": _l("A follow-up action"),
    "protocols.freeze": _l("A freeze of the protocol"),
    "protocols.reopen": _l("A reopening of the protocol"),
    "protocols.approval": _l("An approval of the protocol"),
}
REFUSAL_LABELS = {
    RefusalReason.FROZEN: _l("The record was frozen by the other side; reopen to change it."),
    RefusalReason.SUPERSEDED: _l(
        "Both sides did this at the same time; the host's version stands. Reopen to change it."
    ),
    RefusalReason.REOPENED: _l("The other side reopened that version; approve again after the next freeze."),
    RefusalReason.WITHDRAWN: _l(
        "Its agenda item was withdrawn: the host added one at the same place at the same time."
    ),
    RefusalReason.CONFLICT: _l(
        "The other side changed the same text at the same time; the host's text stands."
    ),
}

LABELS: dict[str, Any] = {
    "meeting_kind": MEETING_KIND_LABELS,
    "meeting_status": MEETING_STATUS_LABELS,
    "exchange": EXCHANGE_LABELS,
    "agenda_kind": AGENDA_KIND_LABELS,
    "protocol_status": PROTOCOL_STATUS_LABELS,
    "action_status": ACTION_STATUS_LABELS,
    "incident_type": INCIDENT_TYPE_LABELS,
    "incident_status": INCIDENT_STATUS_LABELS,
    "hand_over": HAND_OVER_LABELS,
    "change": CHANGE_LABELS,
    "refusal": REFUSAL_LABELS,
}


def _choices(labels: dict[Any, Any]) -> list[tuple[str, Any]]:
    return [(key.value, label) for key, label in labels.items()]


def _start_field(label: Any, required: bool = True) -> LocalDateTimeField:
    return LocalDateTimeField(
        label,
        validators=[DataRequired() if required else Optional()],
        description=_l("Local time at the border section, in its time zone."),
    )


class MeetingRequestForm(BaseForm):
    section_id = SelectField(_l("Border section"), coerce=int, validators=[DataRequired()])
    kind = SelectField(
        _l("Kind"), choices=lambda: _choices(MEETING_KIND_LABELS), default=MeetingKind.REGULAR.value
    )
    starts_at = _start_field(_l("Date and time"))
    crossing_point_id = SelectField(_l("Crossing point"), coerce=int, default=0)
    venue_name = StringField(
        _l("Or a named place"),
        validators=[Optional(), Length(max=200)],
        description=_l("When not at a crossing point."),
    )
    host_state_id = SelectField(_l("Host (whose territory)"), coerce=int, default=0)
    agenda = TextAreaField(
        _l("Agenda"),
        validators=[Optional(), Length(max=TEXT_LENGTH)],
        description=_l(
            "One item per line. Open decisions of earlier meetings are added first by themselves."
        ),
    )
    register_ids = CheckboxesField(
        _l("Participants from the register"),
        coerce=int,
        description=_l(
            "Each side's border representative heads its delegation unless a deputy is marked on the "
            "meeting page; interpreters and experts not in the register are added there as guests."
        ),
    )


class DeclineForm(BaseForm):
    reason = TextAreaField(_l("Reason for declining"), validators=[DataRequired(), Length(max=TEXT_LENGTH)])


class CounterProposalForm(BaseForm):
    starts_at = _start_field(_l("Another date and time"), required=False)
    crossing_point_id = SelectField(_l("Another crossing point"), coerce=int, default=0)
    venue_name = StringField(_l("Or another named place"), validators=[Optional(), Length(max=200)])
    reason = TextAreaField(_l("Why"), validators=[Optional(), Length(max=TEXT_LENGTH)])


class ParticipantForm(BaseForm):
    """Someone from the register of the meeting's section."""

    representative_id = SelectField(_l("From the register"), coerce=int, validators=[DataRequired()])
    is_head = BooleanField(_l("Heads the delegation (standing in for the border representative)"))


class GuestForm(BaseForm):
    """An interpreter, an expert or anyone else who is not in the register."""

    state_id = SelectField(_l("Side"), coerce=int)
    full_name = StringField(_lp("person", "Name"), validators=[DataRequired(), Length(max=200)])
    role = StringField(
        _l("Role"), validators=[DataRequired(), Length(max=120)], description=_l("E.g. interpreter, expert.")
    )


class ReopenForm(BaseForm):
    reason = TextAreaField(
        _l("Why the frozen protocol must change"), validators=[DataRequired(), Length(max=TEXT_LENGTH)]
    )


class AgendaItemForm(BaseForm):
    title = StringField(_l("New agenda item"), validators=[DataRequired(), Length(max=500)])


class FollowUpForm(BaseForm):
    responsible_state_id = SelectField(_l("Responsible side"), coerce=int)
    description = TextAreaField(
        _l("What is to be done"), validators=[DataRequired(), Length(max=TEXT_LENGTH)]
    )
    due_on = TypedDateField(_l("Deadline"), validators=[DataRequired()])


def item_text_form(languages: list[str], **kwargs: Any) -> BaseForm:
    """One summary and one decision textarea per working language of the section."""

    class ItemTextForm(BaseForm):
        pass

    for language in languages:
        upper = language.upper()
        setattr(
            ItemTextForm,
            f"summary_{language}",
            TextAreaField(
                _l("Discussion (%(language)s)", language=upper),
                validators=[Optional(), Length(max=TEXT_LENGTH)],
            ),
        )
        setattr(
            ItemTextForm,
            f"decision_{language}",
            TextAreaField(
                _l("Decision (%(language)s)", language=upper),
                validators=[Optional(), Length(max=TEXT_LENGTH)],
            ),
        )
    return ItemTextForm(**kwargs)


def addendum_form(languages: list[str], **kwargs: Any) -> BaseForm:
    class AddendumForm(BaseForm):
        pass

    for language in languages:
        setattr(
            AddendumForm,
            f"text_{language}",
            TextAreaField(
                _l("Correction (%(language)s)", language=language.upper()),
                validators=[DataRequired(), Length(max=TEXT_LENGTH)],
            ),
        )
    return AddendumForm(**kwargs)


class NoteForm(BaseForm):
    text = TextAreaField(
        _l("Internal note (only your side sees it)"), validators=[DataRequired(), Length(max=TEXT_LENGTH)]
    )


class ProgressForm(BaseForm):
    text = TextAreaField(_l("Progress"), validators=[DataRequired(), Length(max=TEXT_LENGTH)])
    status = SelectField(
        _l("New status"), choices=lambda: [("", _l("Unchanged")), *_choices(ACTION_STATUS_LABELS)], default=""
    )


class IncidentForm(BaseForm):
    section_id = SelectField(_l("Border section"), coerce=int, validators=[DataRequired()])
    type = SelectField(_l("Type"), choices=lambda: _choices(INCIDENT_TYPE_LABELS))
    occurred_at = _start_field(_l("When it happened"))
    landmark = StringField(_l("Landmark"), validators=[Optional(), Length(max=200)])
    border_sign = StringField(_l("Border sign number"), validators=[Optional(), Length(max=30)])
    latitude = DecimalField(_l("Latitude"), places=6, validators=[Optional()])
    longitude = DecimalField(_l("Longitude"), places=6, validators=[Optional()])
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=TEXT_LENGTH)])
    persons_involved = IntegerField(
        _l("Persons involved"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    animals_involved = IntegerField(
        _l("Animals involved"), default=0, validators=[Optional(), NumberRange(min=0)]
    )
    property_involved = TextAreaField(
        _l("Property involved"), validators=[Optional(), Length(max=TEXT_LENGTH)]
    )
    is_shared = BooleanField(_l("Share with the other side now"))


class IncidentStatusForm(BaseForm):
    status = SelectField(_l("Status"), choices=lambda: _choices(INCIDENT_STATUS_LABELS))


class HandOverForm(BaseForm):
    kind = SelectField(_l("What is handed over"), choices=lambda: _choices(HAND_OVER_LABELS))
    count = IntegerField(_l("How many"), validators=[DataRequired(), NumberRange(min=1)])
    handing_state_id = SelectField(_l("Handing side"), coerce=int)
    handed_over_at = _start_field(_l("Handed over at"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=TEXT_LENGTH)])


POST_LABELS = {
    Post.BORDER_REPRESENTATIVE: _l("Border representative"),
    Post.DEPUTY: _l("Deputy border representative"),
    Post.ASSISTANT: _l("Assistant border representative"),
    Post.SECRETARY: _l("Secretary"),
    Post.INTERPRETER: _l("Interpreter"),
    Post.EXPERT: _l("Expert"),
}


class AppointmentForm(BaseForm):
    post = SelectField(
        _l("Post"), choices=lambda: [(p.value, POST_LABELS[p]) for p in Post], validators=[DataRequired()]
    )
    full_name = StringField(_l("Full name and rank"), validators=[DataRequired(), Length(max=200)])
    credentials_number = StringField(_l("Credentials number"), validators=[DataRequired(), Length(max=60)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=300)])
    appointed_from = TypedDateField(_l("Appointed from"), validators=[DataRequired()])


class EndAppointmentForm(BaseForm):
    appointed_until = TypedDateField(_l("Last day in office"), validators=[DataRequired()])
