"""Pages of the border representatives: calendar, meeting requests, the meeting record and its protocol,
follow-up actions, incidents and hand-overs, the protocol PDF and the iCalendar feed.
"""

from lbt.representatives.views import followup, meetings, protocols, register  # noqa: F401 - they register the routes
from lbt.representatives.views.common import bp

__all__ = ["bp"]
