"""The application factories of tests/applications (through the permit pages' conftest), for the
alert-list pages."""

from __future__ import annotations

from tests.permits.conftest import *  # noqa: F403
