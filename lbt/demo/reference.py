"""Demo data: Tajikistan and Kyrgyzstan, one LBT agreement, border-area localities on both sides,
crossing points, border sections and one user per role. Idempotent: records are found by their
natural keys before anything is created. Demo passwords are random and kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lbt.accounts.models import User
from lbt.accounts.services import Scope, UserData, create_user, find_user
from lbt.core.dates import state_time_zone
from lbt.demo.meetings import load_meetings
from lbt.demo.sides import AGREEMENT_CODE, SIDES, Side
from lbt.demo.two_factor import enrol_demo_account
from lbt.reference.models import (
    Agreement,
    BorderSection,
    CrossingPoint,
    CrossingReason,
    FeeExemption,
    Locality,
    State,
)

DEMO_ACCOUNTS_FILE = "demo-accounts.txt"

STATES = [
    ("TJ", "TJK", "Tajikistan", "Таджикистан", "Тоҷикистон"),
    ("KG", "KGZ", "Kyrgyzstan", "Кыргызстан", "Кыргызстан"),
]

# (state, national name, Latin name, district, km to the border)
LOCALITIES = [
    ("TJ", "Ворух", "Vorukh", "Isfara", "0.5"),
    ("TJ", "Чоркӯҳ", "Chorkuh", "Isfara", "1.0"),
    ("TJ", "Сурх", "Surkh", "Isfara", "2.0"),
    ("TJ", "Шӯроб", "Shurob", "Isfara", "4.0"),
    ("TJ", "Кулканд", "Kulkand", "Isfara", "1.5"),
    ("TJ", "Навгилем", "Navgilem", "Isfara", "12.0"),
    ("TJ", "Лаккон", "Lakkon", "Isfara", "8.0"),
    ("TJ", "Хоҷаи Аъло", "Khojai Alo", "Isfara", "3.0"),
    ("TJ", "Исфара", "Isfara", "Isfara", "9.0"),
    ("TJ", "Қалъача", "Qalacha", "Isfara", "6.5"),
    ("TJ", "Овчӣ-Қалъача", "Ovchi-Qalacha", "Bobojon Ghafurov", "1.0"),
    ("TJ", "Гулакандоз", "Gulakandoz", "Bobojon Ghafurov", "3.0"),
    ("TJ", "Хистеварз", "Khistevarz", "Bobojon Ghafurov", "18.0"),
    ("TJ", "Унҷи", "Unji", "Bobojon Ghafurov", "14.0"),
    ("TJ", "Ғафуров", "Ghafurov", "Bobojon Ghafurov", "24.0"),
    ("TJ", "Лахш", "Lakhsh", "Lakhsh", "16.0"),
    ("TJ", "Ҷиргатол", "Jirgatol", "Lakhsh", "12.0"),
    ("TJ", "Домбрачӣ", "Dombrachi", "Lakhsh", "5.0"),
    ("TJ", "Пилдон", "Pildon", "Lakhsh", "27.0"),
    ("TJ", "Қаротегин", "Qarotegin", "Lakhsh", "38.0"),
    ("KG", "Ак-Сай", "Ak-Sai", "Batken", "0.5"),
    ("KG", "Көк-Таш", "Kok-Tash", "Batken", "0.5"),
    ("KG", "Ак-Татыр", "Ak-Tatyr", "Batken", "1.0"),
    ("KG", "Самаркандек", "Samarkandek", "Batken", "3.0"),
    ("KG", "Кара-Бак", "Kara-Bak", "Batken", "2.0"),
    ("KG", "Баткен", "Batken", "Batken", "15.0"),
    ("KG", "Кызыл-Бел", "Kyzyl-Bel", "Batken", "1.0"),
    ("KG", "Ак-Турпак", "Ak-Turpak", "Batken", "4.0"),
    ("KG", "Бужум", "Buzhum", "Batken", "5.0"),
    ("KG", "Бозадыр", "Bozadyr", "Batken", "7.0"),
    ("KG", "Исфана", "Isfana", "Leilek", "6.0"),
    ("KG", "Кулунду", "Kulundu", "Leilek", "1.0"),
    ("KG", "Максат", "Maksat", "Leilek", "2.0"),
    ("KG", "Ынтымак", "Yntymak", "Leilek", "2.0"),
    ("KG", "Арка", "Arka", "Leilek", "1.0"),
    ("KG", "Кайрагач", "Kairagach", "Leilek", "3.0"),
    ("KG", "Катран", "Katran", "Leilek", "10.0"),
    ("KG", "Кара-Булак", "Kara-Bulak", "Leilek", "7.0"),
    ("KG", "Жаңы-Жер", "Zhany-Zher", "Leilek", "33.0"),
    ("KG", "Карамык", "Karamyk", "Chon-Alai", "2.0"),
]

# (code, name, description, working languages)
SECTIONS = [
    (
        "TJ-KG-ISF",
        "Isfara — Batken",
        "From the Khojai Alo pass to the Isfara river gorge, around Vorukh.",
        ["tg", "ky", "ru"],
    ),
    ("TJ-KG-LKH", "Lakhsh — Chon-Alai", "From Karamyk to the Kyzyl-Suu river valley.", ["tg", "ky", "ru"]),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    # the second factor (lbt/demo/two_factor.py): the TOTP secret, its otpauth:// address, recovery codes
    totp_secret: str = ""
    totp_uri: str = ""
    recovery_codes: tuple[str, ...] = ()


def database_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(State)) and not session.scalar(
        select(func.count()).select_from(User)
    )


def _state(session: Session, code: str, alpha3: str, en: str, ru: str, national: str) -> State:
    state = session.scalar(select(State).where(State.code == code))
    if state is None:
        state = State(code=code, alpha3=alpha3, name_en=en, name_ru=ru, name_national=national)
        session.add(state)
    return state


def _agreement(session: Session, tj: State, kg: State, side: Side) -> Agreement:
    agreement = session.scalar(select(Agreement).where(Agreement.code == AGREEMENT_CODE))
    if agreement is None:
        agreement = Agreement(
            code=AGREEMENT_CODE,
            name="Tajikistan–Kyrgyzstan agreement on local border traffic",
            state_a=tj,
            state_b=kg,
            in_force_from=date(2025, 7, 1),
            border_area_km=30,
            border_area_straddle_km=50,
            min_residence_years=3,
            family_exempt_from_residence=True,
            validity_min_years=1,
            validity_max_years=5,
            first_permit_max_years=2,
            max_stay_days=30,
            rolling_window_days=180,
            rolling_limit_days=90,
            all_crossing_points=False,
            fee_amount=side.fee[0],  # each state charges its own fee, in its currency
            fee_currency=side.fee[1],
            fee_exemptions=[e.value for e in FeeExemption],
            reasons=[r.value for r in CrossingReason if r is not CrossingReason.OTHER],
            decision_deadline_days=30,
            reconsideration_days=14,
        )
        session.add(agreement)
    return agreement


def load_demo(
    session: Session, instance_path: Path, *, now: datetime, home_state: str = "TJ"
) -> list[DemoAccount]:
    """Add whatever part of the demo data is missing for the instance of ``home_state`` (TJ or KG);
    return the accounts created now."""
    side = demo_side(home_state)
    states = {row[0]: _state(session, *row) for row in STATES}
    agreement = _agreement(session, states["TJ"], states["KG"], side)
    session.flush()

    existing = {
        (loc.state_id, loc.district, loc.name_latin)
        for loc in session.scalars(select(Locality).where(Locality.agreement_id == agreement.id))
    }
    for state_code, national, latin, district, km in LOCALITIES:
        if (states[state_code].id, district, latin) not in existing:
            session.add(
                Locality(
                    agreement=agreement,
                    state=states[state_code],
                    name_national=national,
                    name_latin=latin,
                    district=district,
                    distance_km=Decimal(km),
                )
            )

    points = {p.code: p for p in session.scalars(select(CrossingPoint))}
    for code, name, kind, hours, allowed in side.posts:
        state_code = side.code  # the home state's posts, where its guards check the permits it issued
        if code not in points:
            points[code] = CrossingPoint(
                code=code,
                name=name,
                kind=kind,
                opening_hours=hours,
                agreement=agreement,
                state=states[state_code],
                time_zone=state_time_zone(state_code),  # Asia/Dushanbe, Asia/Bishkek
            )
            session.add(points[code])
            if allowed:
                agreement.allowed_crossing_points.append(points[code])

    sections = {s.code for s in session.scalars(select(BorderSection))}
    for code, name, description, languages in SECTIONS:
        if code not in sections:
            session.add(
                BorderSection(
                    code=code,
                    name=name,
                    description=description,
                    state_a=states["TJ"],
                    state_b=states["KG"],
                    working_languages=languages,
                    time_zone=state_time_zone(side.code),
                )
            )
    session.flush()

    created: list[DemoAccount] = []
    for username, role, full_name, scope in side.staff:
        if find_user(session, username) is None:
            password = secrets.token_urlsafe(12)
            data = UserData(username=username, role=role, full_name=full_name, scope=Scope.parse(scope))
            user = create_user(session, data, password, now=now)
            second = enrol_demo_account(session, user, now=now, home_state=side.code)
            created.append(
                DemoAccount(username, password, role.value, second.secret, second.uri, second.recovery_codes)
            )
    load_meetings(session, side, now=now)
    _remember_demo_accounts(instance_path, created)
    return created


def demo_side(home_state: str) -> Side:
    side = SIDES.get(home_state)
    if side is None:
        raise ValueError(f"the demo knows the instances of {' and '.join(SIDES)}, not {home_state}")
    return side


def _remember_demo_accounts(instance_path: Path, accounts: list[DemoAccount]) -> None:
    if not accounts:
        return
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / DEMO_ACCOUNTS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for account in accounts:
            fields = (account.username, account.password, account.role, account.totp_secret, account.totp_uri)
            handle.write("\t".join((*fields, " ".join(account.recovery_codes))) + "\n")


def read_demo_accounts(instance_path: Path) -> list[tuple[str, str, str]]:
    """(username, password, role) of each demo account."""
    return [(account.username, account.password, account.role) for account in read_demo_logins(instance_path)]


def read_demo_logins(instance_path: Path) -> list[DemoAccount]:
    """Each demo account with its second factor (lines of files written before it have none)."""
    path = instance_path / DEMO_ACCOUNTS_FILE
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            rows.append(DemoAccount(*parts))
        elif len(parts) == 6:
            rows.append(DemoAccount(*parts[:5], tuple(parts[5].split())))
    return rows
