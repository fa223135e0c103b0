"""Imports every area's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from lbt.accounts import models as accounts_models
from lbt.accounts.two_factor import models as two_factor_models
from lbt.alerts import models as alerts_models
from lbt.api import models as api_models
from lbt.applications import models as applications_models
from lbt.audit import models as audit_models
from lbt.audit.services import install_audit_listener
from lbt.core import counters
from lbt.core.db import Base
from lbt.crossings import models as crossings_models
from lbt.exchange import models as exchange_models
from lbt.exchange.watch import install_exchange_listener
from lbt.jobs import models as jobs_models
from lbt.notifications import models as notifications_models
from lbt.permits import models as permits_models
from lbt.reference import models as reference_models
from lbt.reports import models as reports_models
from lbt.representatives import models as representatives_models
from lbt.storage import models as storage_models

# whoever loads the models also gets them audited (the app, the CLI, tests of services), and the
# changes a linked partner must hear of queued for it
install_audit_listener()
install_exchange_listener()

__all__ = [
    "Base",
    "accounts_models",
    "alerts_models",
    "api_models",
    "applications_models",
    "audit_models",
    "counters",
    "crossings_models",
    "exchange_models",
    "jobs_models",
    "notifications_models",
    "permits_models",
    "reference_models",
    "reports_models",
    "representatives_models",
    "storage_models",
    "two_factor_models",
]
