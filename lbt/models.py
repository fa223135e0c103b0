"""Imports every area's models so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from lbt.accounts import models as accounts_models
from lbt.audit import models as audit_models
from lbt.db import Base
from lbt.reference import models as reference_models

__all__ = ["Base", "accounts_models", "audit_models", "reference_models"]
