"""Who applies where (Reg. (EC) No 1931/2006 Art. 3 and 7): the Tajik instance issues permits to the
Kyrgyz border residents, valid in the Tajik border area; the Kyrgyz instance the mirror image."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pypdf
import pytest
from sqlalchemy import select

from lbt.applications.eligibility import checklist
from lbt.applications.models import Application
from lbt.core.errors import ValidationFailed
from lbt.crossings.models import Direction, Verdict
from lbt.crossings.services import assess
from tests.applications.test_public_views import count, error_beside, form_data, jpeg, send
from tests.fixtures.permits import issue_permit

pytestmark = pytest.mark.usefixtures("home_locality")


@pytest.fixture
def store(app_store):  # type: ignore[no-untyped-def]
    """The card is printed by the app, from the app's own file store."""
    return app_store


def test_the_form_offers_only_the_partners_localities(client, ref, home_locality):
    page = client.get("/apply/").get_data(as_text=True)
    assert f'value="{ref.locality.id}"' in page
    assert f'value="{home_locality.id}"' not in page and "Vorukh" not in page


def test_a_tajik_locality_is_refused_on_the_tajik_instance_and_says_where_to_apply(
    client, ref, db, home_locality
):
    response = send(
        client, form_data(ref, locality_id=str(home_locality.id), nationality="TJK"), photo=jpeg()
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "locality_id") == (
        "Vorukh is in Tajikistan. This service issues permits to residents of the border area of Kyrgyzstan;"
        " residents of Tajikistan apply to the border service of Kyrgyzstan."
    )
    assert count(db, Application) == 0


def test_the_refusal_names_the_states_in_the_readers_language(client, ref, db, home_locality):
    """Services pass states as names, not English text: an Uzbek reader reads CLDR's Uzbek names."""
    client.set_cookie("lbt_locale", "uz")
    response = send(
        client, form_data(ref, locality_id=str(home_locality.id), nationality="TJK"), photo=jpeg()
    )
    assert response.status_code == 400
    message = error_beside(response.get_data(as_text=True), "locality_id")
    assert "Tojikiston" in message and "Qirgʻiziston" in message and "Vorukh" in message
    assert "Tajikistan" not in message and "Kyrgyzstan" not in message
    assert count(db, Application) == 0


def test_a_kyrgyz_resident_is_accepted(client, ref, db):
    response = send(client, form_data(ref), photo=jpeg())
    assert response.status_code == 302, error_beside(response.get_data(as_text=True), "locality_id")
    assert count(db, Application) == 1


def test_the_nationality_rule_of_the_agreement(client, ref, db):
    refused = send(client, form_data(ref, nationality="UZB"), photo=jpeg())
    assert refused.status_code == 400
    assert error_beside(refused.get_data(as_text=True), "nationality") == (
        "Not a national of Kyrgyzstan: this agreement is for nationals of Kyrgyzstan resident in its border area."
    )
    ref.agreement.admits_long_term_residents = True
    db.flush()
    assert send(client, form_data(ref, nationality="UZB"), photo=jpeg()).status_code == 302
    application = db.scalar(select(Application))
    items = {item.code: item for item in checklist(db, application, date(2026, 12, 1), home_state="TJ")}
    assert items["nationality"].ok and "long-term residence permit" in items["nationality"].message
    assert items["border_area"].ok


def test_family_members_of_another_nationality_where_the_agreement_admits_them(make_application, ref, db):
    with pytest.raises(ValidationFailed) as refused:
        make_application(nationality="TJK", family_relationship="spouse", family_reference="TJ-2026-000001")
    assert refused.value.field == "nationality"
    ref.agreement.admits_family_of_other_nationality = True
    db.flush()
    made = make_application(
        nationality="TJK", family_relationship="spouse", family_reference="TJ-2026-000001"
    )
    assert made.application.nationality == "TJK"


def test_an_old_application_from_the_home_side_fails_the_checklist(make_application, db, home_locality):
    application = make_application().application
    application.locality = home_locality  # as made before the instance checked its home state
    db.flush()
    items = {item.code: item.ok for item in checklist(db, application, date(2026, 12, 1), home_state="TJ")}
    assert items["resident_of_partner"] is False and items["border_area"] is False


@pytest.fixture
def permit(db, make_application, users, clock, issuer):  # type: ignore[no-untyped-def]
    from lbt.accounts.models import Role

    return issue_permit(db, make_application().application, users[Role.OFFICER], issuer, clock())


def card_text(login_as, permit) -> str:  # type: ignore[no-untyped-def]
    from lbt.accounts.models import Role

    response = login_as(Role.OFFICER).get(f"/permits/{permit.id}/card.pdf")
    assert response.status_code == 200
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_card_names_the_home_states_border_area(permit, login_as):
    text = card_text(login_as, permit)
    assert "Valid in the border area of Tajikistan" in text
    assert "Isfara (TJ-KG)" in text  # the districts of its listed localities


def test_the_card_uses_the_name_the_agreement_gives_the_area(db, permit, ref, login_as):
    ref.agreement.border_area_name_a = "Isfara district of Sughd"
    db.flush()
    text = card_text(login_as, permit)
    assert "Isfara district of Sughd" in text


def test_the_holders_page_and_the_public_check_list_the_localities(client, permit, ref):
    page = client.get("/v").get_data(as_text=True)
    assert 'data-area-for="TJ-KG"' in page and "Vorukh" in page and "Ak-Sai" not in page
    assert "Valid in the border area of" in page


def test_a_crossing_point_of_another_agreement_is_outside_the_border_area(db, permit, ref):
    moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    elsewhere = assess(db, permit, ref.other_crossing_point, Direction.ENTRY, moment)
    assert elsewhere.verdict is Verdict.REFUSE
    assert [reason.code for reason in elsewhere.reasons] == ["outside_area"]
    here = assess(db, permit, ref.crossing_point, Direction.ENTRY, moment)
    assert "outside_area" not in [reason.code for reason in here.reasons]


# --- the mirror: the Kyrgyz instance ---------------------------------------------------------------


@pytest.fixture
def kyrgyz_client(make_app, settings):  # type: ignore[no-untyped-def]
    return make_app(settings.with_changes(home_state="KG")).test_client()


def test_the_kyrgyz_instance_takes_tajik_residents_and_refuses_kyrgyz_ones(
    kyrgyz_client, ref, db, home_locality
):
    page = kyrgyz_client.get("/apply/").get_data(as_text=True)
    assert "Vorukh" in page and "Ak-Sai" not in page
    refused = send(kyrgyz_client, form_data(ref), photo=jpeg())
    assert refused.status_code == 400
    assert "Ak-Sai is in Kyrgyzstan." in error_beside(refused.get_data(as_text=True), "locality_id")
    taken = send(
        kyrgyz_client,
        form_data(ref, locality_id=str(home_locality.id), nationality="TJK", document_issuing_state="TJK"),
        photo=jpeg(),
    )
    assert taken.status_code == 302
    assert db.scalar(select(Application)).locality_id == home_locality.id
