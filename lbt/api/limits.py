"""What one API request may carry (the views enforce it, the OpenAPI document states it)."""

from __future__ import annotations

MAX_BATCH = 500  # crossings in one POST /api/v1/crossings; a device sends its queue 100 at a time
