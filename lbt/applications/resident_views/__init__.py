"""Pages for residents (no account): apply, follow the application, answer, ask for reconsideration.

Access to an application is by its reference and access code; a successful check keeps the application's
id in the signed session cookie for a short while (one application per browser).

One blueprint, "apply", defined in ``common``; ``applying`` and ``status`` register their routes on it.
"""

from lbt.applications.resident_views import applying, status  # noqa: F401 - they register the routes
from lbt.applications.resident_views.common import bp

__all__ = ["bp"]
