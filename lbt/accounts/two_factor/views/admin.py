"""The administrator's side: which roles must log in with two factors, and resetting a user's second
factor when their phone is lost (audited, their logins ended, the user told by mail)."""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from lbt.accounts.models import Role, User
from lbt.accounts.two_factor import policy
from lbt.accounts.two_factor.forms import RequiredRolesForm
from lbt.accounts.two_factor.views import bp
from lbt.core.errors import DomainError
from lbt.web.actions import run_action
from lbt.web.forms import ActionForm
from lbt.web.i18n import translate_error
from lbt.web.security import roles
from lbt.web.state import get_session, now, settings


def _own_login(user: User | None = None) -> str | None:
    """The administrator's own login stays open when the change concerns them."""
    if user is not None and user.id != current_user.id:
        return None
    return current_user.login_key  # type: ignore[no-any-return]


def _saved(ended: int) -> str:
    if not ended:
        return _("Saved.")
    return ngettext(
        "Saved. %(num)d login of a user who must now set up two-factor login was ended.",
        "Saved. %(num)d logins of users who must now set up two-factor login were ended.",
        ended,
    )


@bp.route("/admin/two-factor", methods=["GET", "POST"])
@roles(Role.ADMIN)
def required_roles() -> Response | tuple[str, int]:
    session = get_session()
    form = RequiredRolesForm(data={"roles": [role.value for role in policy.required_roles(session)]})

    def save() -> int:
        wanted = [Role(value) for value in form.roles.data or ()]
        return policy.set_required_roles(session, wanted, now=now(), keep_login=_own_login())

    outcome = run_action(form, save, _saved)
    if outcome.done:
        return redirect(url_for("two_factor.required_roles"))
    return render_template("accounts/two_factor/roles.html", form=form), 400 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@roles(Role.ADMIN)
def reset(user_id: int) -> Response:
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    config = settings()
    change = partial(
        policy.reset,
        session,
        user,
        now=now(),
        public_url=config.public_url,
        zone_name=config.instance_zone,
        keep_login=_own_login(user),
    )
    message = _("The two-factor login of %(username)s was reset.", username=user.username)
    refused = run_action(ActionForm(), change, message, refusals=(DomainError,)).error
    if refused is not None:
        flash(translate_error(refused), "error")
    return redirect(url_for("accounts.edit_user", user_id=user.id))
