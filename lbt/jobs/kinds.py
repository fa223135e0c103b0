"""The kinds of job a user starts, and the work each one does (a ``JobContext`` in, a ``JobResult``
out). The regular jobs are listed in ``schedule``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from lbt.jobs import imports, print_batches, six_monthly
from lbt.jobs.runtime import JobContext, JobResult

Handler = Callable[[JobContext], JobResult]

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        imports.KIND: imports.run_import,
        print_batches.KIND: print_batches.run_print_batch,
        six_monthly.KIND: six_monthly.run_six_monthly,
    }
)
