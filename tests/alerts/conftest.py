"""The application factories of tests/applications, for the alert-list pages."""

from __future__ import annotations

from tests.applications.conftest import *  # noqa: F403
