"""The border representatives' message kinds (docs/exchange.md, "The border representatives' work"),
found by ``lbt.exchange.kinds.load_kinds``: importing the handler modules registers them.

- ``representatives.appointment``: a register entry of the sender's side, whole;
- ``meetings.request``, ``meetings.answer``: a request with its agenda and participants, and the
  answers (accepted, declined with a reason, counter-proposed);
- ``meetings.held``, ``meetings.agenda_item``, ``meetings.participant``, ``meetings.text``,
  ``meetings.action``: changes to a meeting's record while it is a draft, each naming the freeze round
  it was made on;
- ``protocols.freeze``, ``protocols.reopen``, ``protocols.approval``: a protocol's (or addendum's)
  freeze with its canonical content, its reopening, a head of delegation's approval;
- ``meetings.refused``: a change of the receiver's that the sender refused, and why;
- ``actions.progress``, ``incidents.incident``, ``incidents.hand_over``: follow-up notes, shared
  incidents, hand-over acts and each side's confirmation.

Internal notes never travel: no kind carries them."""

from __future__ import annotations

from lbt.representatives.sharing import followup_kinds, meeting_kinds, protocol_kinds

KINDS_MODULES = (followup_kinds, meeting_kinds, protocol_kinds)
