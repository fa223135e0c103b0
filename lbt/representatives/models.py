"""Border representatives: the register, meetings, protocols, decisions, actions, incidents."""

from __future__ import annotations
