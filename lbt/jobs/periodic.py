"""The regular jobs' work (``schedule``): each opens its own transactions on the app's database, does
what the matching ``lbt`` command does, and says what it did (None: nothing to do)."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from lbt.audit.checkpoint import CheckpointRejected, make_checkpoint, published_keys, read_checkpoint
from lbt.core.errors import N_, Nn_
from lbt.jobs.files import JobFiles
from lbt.jobs.runtime import WORKER_ACTOR, JobRefused, Runtime
from lbt.jobs.schedule import Summary
from lbt.jobs.services import fail_stale, prune_results
from lbt.permits.signing import KeyStore
from lbt.storage.uploads import FileStore

CHECKPOINTS_FOLDER = "checkpoints"
UNUSED_UPLOADS_KEPT = timedelta(hours=48)  # as `lbt files prune`'s default


def send_mail(runtime: Runtime, now: datetime) -> Summary | None:
    """The outbox, as `lbt mail send`: the mailer commits its own short transactions (no lock is held
    while the mail server answers), so several senders never send one message twice."""
    from lbt.notifications.mailer import send_pending

    report = send_pending(runtime.database.session_factory, runtime.settings.mail, now=now, limit=100)
    if not (report.sent or report.failed):
        return None
    return Summary(
        N_("Mail: %(sent)d sent, %(failed)d failed (retried later)."),
        {"sent": report.sent, "failed": report.failed},
    )


def remind_representatives(runtime: Runtime, now: datetime) -> Summary | None:
    """As `lbt representatives remind`: meeting invitations and the day-before reminders, each once."""
    from lbt.representatives.reminders import send_due

    with runtime.database.transaction(WORKER_ACTOR) as session:
        sent = send_due(session, public_url=runtime.settings.public_url, now=now)
    if not (sent.invitations or sent.reminders):
        return None
    return Summary(
        N_("Meeting mails queued: %(invitations)d invitations, %(reminders)d reminders."),
        {"invitations": sent.invitations, "reminders": sent.reminders},
    )


def detect_overstays(runtime: Runtime, now: datetime) -> Summary | None:
    """Art. 17: holders still inside beyond their longest stay get a misuse case before they leave."""
    from lbt.crossings.overstays import open_overstay_cases

    with runtime.database.transaction(WORKER_ACTOR) as session:
        opened = open_overstay_cases(session, now=now)
    if not opened:
        return None
    return Summary(Nn_("%(num)d overstay found.", "%(num)d overstays found."), {"num": opened})


def sync_partner_exchange(runtime: Runtime, now: datetime) -> Summary | None:
    """As `lbt exchange sync` (docs/exchange.md): every active link once; a link that drops loses
    nothing and is tried again at the next run, so a run is recorded only when something moved or a
    link failed (the record counts, the exchange's own pages and `lbt exchange status` say which)."""
    from lbt.exchange.keys import ExchangeKeyStore
    from lbt.exchange.sync import sync_all

    results = sync_all(
        runtime.database,
        runtime.settings,
        keys=runtime.find(ExchangeKeyStore),
        permit_keys=runtime.find(KeyStore),
        clock=runtime.clock,
    )
    counts = {
        "confirmed": sum(result.confirmed for result in results),
        "applied": sum(result.applied for result in results),
        "held": sum(result.held for result in results),
        "refused": sum(result.refused for result in results),
        "failing": sum(1 for result in results if not result.ok),
    }
    if not any(counts.values()):
        return None
    return Summary(
        N_(
            "Partner exchange: %(confirmed)d confirmed, %(applied)d applied, %(held)d held, "
            "%(refused)d refused; links that failed: %(failing)d."
        ),
        counts,
    )


def prune_files(runtime: Runtime, now: datetime) -> Summary | None:
    """As `lbt files prune` (uploads of forms never sent again), and the results of jobs that ended a
    week ago; jobs a stopped worker left "running" end as failed."""
    from lbt.storage.uploads import prune_unused

    with runtime.database.transaction(WORKER_ACTOR) as session:
        uploads = prune_unused(session, runtime.find(FileStore), now - UNUSED_UPLOADS_KEPT)
        results = prune_results(session, JobFiles(runtime.settings.instance_path), now)
        stale = fail_stale(session, now)
    if not (uploads or results or stale):
        return None
    return Summary(
        N_("Deleted: %(uploads)d unused uploads, %(results)d job results; stopped jobs failed: %(stale)d."),
        {"uploads": uploads, "results": results, "stale": stale},
    )


def prune_exchange(runtime: Runtime, now: datetime) -> Summary | None:
    """As `lbt exchange prune`: the partner exchange's messages confirmed or applied, and its refusals,
    older than LBT_EXCHANGE_KEEP_DAYS (what waits, and what a record names, stays)."""
    from lbt.exchange.pruning import prune

    keep = timedelta(days=runtime.settings.exchange_keep_days)
    with runtime.database.transaction(WORKER_ACTOR) as session:
        pruned = prune(session, now=now, keep=keep)
    if not pruned.total:
        return None
    return Summary(
        N_("Partner exchange: deleted %(sent)d messages sent, %(received)d received, %(refusals)d refusals."),
        {"sent": pruned.sent, "received": pruned.received, "refusals": pruned.refusals},
    )


def audit_checkpoint(runtime: Runtime, now: datetime) -> Summary | None:
    """As `lbt audit verify --checkpoint ...` over the checkpoints kept in the instance folder, then
    `lbt audit checkpoint`: a broken chain, or one shorter than a kept checkpoint counted, gets no
    checkpoint and fails the job (it is not retried: the log will not mend itself). The files hold
    hashes only; copy them off the host (docs/operations.md)."""
    from lbt.audit.checkpoint import ChainNotIntact

    settings = runtime.settings
    folder = settings.instance_path / CHECKPOINTS_FOLDER
    folder.mkdir(mode=0o755, exist_ok=True)
    keys = runtime.find(KeyStore)
    kept = []
    for path in sorted(folder.glob("*.jws")):
        try:
            kept.append(read_checkpoint(path.read_bytes(), published_keys(keys), state=settings.home_state))
        except CheckpointRejected:
            raise JobRefused(
                N_("The kept checkpoint %(file)s is not genuine: no checkpoint written."), file=path.name
            ) from None
    try:
        with runtime.database.transaction(WORKER_ACTOR) as session:
            checkpoint, token = make_checkpoint(
                session, keys.active_key(), state=settings.home_state, now=now, against=kept
            )
    except ChainNotIntact as broken:
        entry = broken.result.first_break.entry_id if broken.result.first_break else None
        raise JobRefused(
            N_("The audit log is broken at entry #%(entry)s: no checkpoint written."), entry=entry or "?"
        ) from None
    name = f"{now:%Y-%m-%d}.jws"
    _write_public(folder / name, token + "\n")
    return Summary(
        N_("Audit log intact; checkpoint %(file)s of %(count)d entries written."),
        {"file": name, "count": checkpoint.entry_count},
    )


def _write_public(path: Path, text: str) -> None:
    """Whole or not at all; readable by all (hashes and a signature, meant to be handed on)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
