"""The print batch page: an officer asks for the cards of their permits (issued since a day, or not
printed yet), the worker draws them into one PDF, and this page follows the job to the download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from lbt.accounts.models import Role
from lbt.jobs import print_batches
from lbt.permits.forms import PrintBatchForm
from lbt.web.jobs import panel, requested_job, start_job
from lbt.web.security import roles

# why a permit was left out of the batch, by ``printing.Skipped.code``
SKIPPED_LABELS = {
    "suspended": _l("The permit is suspended."),
    "revoked": _l("The permit is revoked."),
    "annulled": _l("The permit is annulled."),
    "replaced": _l("The permit was replaced by a new one."),
    "expired": _l("The permit has expired."),
    "photo_missing": _l("The holder's photo is missing from the file store."),
    "card_error": _l("The card cannot be printed (its text does not fit)."),
}


def _page(form: PrintBatchForm, status: int = 200) -> tuple[str, int]:
    job = requested_job(print_batches.KIND)
    shown: dict[str, Any] = {"job": None, "outcome": {}, "skipped": []}
    if job is not None:
        shown.update(job=panel(job, url_for("permits.print_batch", job=job.id)), outcome=job.outcome)
        shown["skipped"] = [
            (item["number"], SKIPPED_LABELS.get(item["code"], item["reason"]))
            for item in job.outcome.get("skipped", [])
        ]
    return render_template("permits/print.html", form=form, **shown), status


def register_printing(bp: Blueprint) -> None:
    @bp.route("/permits/print", methods=["GET", "POST"], endpoint="print_batch")
    @roles(Role.OFFICER, Role.SUPERVISOR)
    def print_batch() -> Response | tuple[str, int]:
        form = PrintBatchForm()
        if form.validate_on_submit():
            params = print_batches.print_params(since=form.since.data, unprinted=bool(form.unprinted.data))
            job = start_job(print_batches.KIND, params)
            return redirect(url_for("permits.print_batch", job=job.id))
        return _page(form, 400 if form.errors else 200)
