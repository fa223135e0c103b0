"""The border representatives' work between two linked instances (issue 13; docs/exchange.md, "The
border representatives' work"): which link a section goes on and who acts where (``sides``), what each
change sends (``outgoing``), how the bodies are written and read (``wire``), the freeze rounds that
decide concurrent edits (``rounds``), the handlers that apply the partner's messages
(``meeting_kinds``, ``protocol_kinds``, ``followup_kinds``, registered by
``lbt/representatives/exchange_kinds.py``, helped by ``inbound`` and ``record``) and the move from the
pilot (``resend``). A section whose agreement has no link sends nothing: the single-instance pilot
works as before."""
