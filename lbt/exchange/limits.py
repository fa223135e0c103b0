"""Limits of the exchange's endpoints, shared by the views and the API document.

The partner-facing endpoints are rate limited with Flask-Limiter (in Redis in production,
``LBT_RATELIMIT_STORAGE_URL``) per caller address and the link a request names, and per address over
all links: a partner's sync makes one push and a few fetches a minute (at most ``MAX_FETCH_ROUNDS``
while it catches up), so only a runaway or a stranger filling the refusal log meets them. The answer
is 429 with ``Retry-After``; lbt's sync offers its messages again after that wait (docs/exchange.md)."""

from lbt.core.settings import Settings

MAX_PARTNER_CROSSINGS = 100  # exits of partner permits in one request

# the defaults; an instance sets its own with LBT_EXCHANGE_PUSH_LIMIT and LBT_EXCHANGE_FETCH_LIMIT
PUSH_LIMIT = Settings.exchange_push_limit  # pushes naming one link, from one address
FETCH_LIMIT = Settings.exchange_fetch_limit  # fetch requests naming one link, from one address
CALLER_LIMIT = "300 per minute; 3000 per hour"  # all exchange requests from one address
