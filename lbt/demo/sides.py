"""What differs between the two instances of the demo: the home state's crossing posts, its staff,
and the partner state's residents who apply to it. ``lbt demo`` on the Tajik instance
(``LBT_HOME_STATE=TJ``) makes Kyrgyz applicants whose permits are valid in the Tajik border area; on the
Kyrgyz instance (``LBT_HOME_STATE=KG``) the mirror image. Both use the same agreement, localities and
border sections, so the two instances can run side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lbt.accounts.models import Role
from lbt.applications.models import Sex
from lbt.reference.models import CrossingPointKind

AGREEMENT_CODE = "TJ-KG-LBT"
SECTION_CODES = ("TJ-KG-ISF", "TJ-KG-LKH")

# (code, name, kind, opening hours, allowed for LBT)
Post = tuple[str, str, CrossingPointKind, str, bool]
# (username, role, full name, scope)
Staff = tuple[str, Role, str, tuple[str, ...]]
# (surname, given names, sex, birth date, locality (Latin), status to reach)
Person = tuple[str, str, Sex, date, str, str]


@dataclass(frozen=True)
class Side:
    """One state as the demo's home state."""

    code: str
    partner: str
    posts: tuple[Post, ...]
    staff: tuple[Staff, ...]
    applicants: tuple[Person, ...]
    fee: tuple[Decimal, str]
    phone_prefix: str  # the applicants' (partner's) telephone code
    document_prefix: str
    street: str
    applicant_locale: str  # the language the applicants write in
    alert: tuple[str, str, date]  # the applicant on the alert list: surname, given names, birth date

    @property
    def partner_alpha3(self) -> str:
        return {"TJ": "TJK", "KG": "KGZ"}[self.partner]


def _staff(
    home: str, partner: str, names: tuple[str, str, str, str, str], posts: tuple[str, ...]
) -> tuple[Staff, ...]:
    officer, supervisor, guard, representative, partner_rep = names
    return (
        ("admin", Role.ADMIN, "Demo Administrator", ()),
        ("officer", Role.OFFICER, officer, (f"agreement:{AGREEMENT_CODE}",)),
        ("supervisor", Role.SUPERVISOR, supervisor, (f"agreement:{AGREEMENT_CODE}",)),
        ("guard", Role.BORDER_GUARD, guard, tuple(f"crossing:{code}" for code in posts)),
        (
            "representative",
            Role.REPRESENTATIVE,
            representative,
            (f"state:{home}", *(f"section:{code}" for code in SECTION_CODES)),
        ),
        (
            f"rep-{partner.lower()}",
            Role.REPRESENTATIVE,
            partner_rep,
            (f"state:{partner}", f"section:{SECTION_CODES[0]}"),
        ),
        ("auditor", Role.AUDITOR, "Demo Auditor", ()),
        ("analyst", Role.ANALYST, "Demo Analyst (central office)", ()),
        ("monitor", Role.MONITOR, "Demo monitoring system", ()),
    )


TAJIK_HOME = Side(
    code="TJ",
    partner="KG",
    posts=(
        ("TJ-KG-01", "Ovchi-Qalacha — Kyzyl-Bel", CrossingPointKind.ROAD, "08:00–20:00", True),
        ("TJ-KG-02", "Vorukh — Ak-Sai", CrossingPointKind.PEDESTRIAN, "07:00–19:00", True),
        ("TJ-KG-03", "Jirgatol — Karamyk", CrossingPointKind.ROAD, "24 h", False),
    ),
    staff=_staff(
        "TJ",
        "KG",
        (
            "Farrukh Rahimov",
            "Nilufar Saidova",
            "Davron Karimov",
            "Col. Sharif Nazarov",
            "Col. Almaz Toktogulov",
        ),
        ("TJ-KG-01", "TJ-KG-02"),
    ),
    applicants=(
        ("Асанов", "Бакыт", Sex.MALE, date(1979, 3, 14), "Ak-Sai", "submitted"),
        ("Токтогулова", "Айгүл", Sex.FEMALE, date(1988, 7, 2), "Kok-Tash", "overdue"),
        ("Жумабеков", "Нурлан", Sex.MALE, date(1990, 11, 23), "Ak-Tatyr", "info_requested"),
        ("Осмонова", "Жылдыз", Sex.FEMALE, date(1975, 5, 30), "Samarkandek", "answered"),
        ("Мамытов", "Эрлан", Sex.MALE, date(1983, 1, 9), "Kara-Bak", "approved"),
        ("Абдыкадырова", "Гүлнара", Sex.FEMALE, date(2011, 9, 17), "Kyzyl-Bel", "approved"),
        ("Сыдыков", "Талант", Sex.MALE, date(1969, 12, 1), "Ak-Turpak", "suspended"),
        ("Бекмуратова", "Айпери", Sex.FEMALE, date(1995, 4, 4), "Buzhum", "revoked"),
        ("Калыков", "Азамат", Sex.MALE, date(1986, 8, 19), "Isfana", "refused"),
        ("Турдубаева", "Чолпон", Sex.FEMALE, date(1972, 2, 28), "Kulundu", "reconsideration"),
        ("Ибраимов", "Марат", Sex.MALE, date(1981, 6, 6), "Maksat", "upheld"),
        ("Садыкова", "Назира", Sex.FEMALE, date(1993, 10, 12), "Arka", "alert"),
    ),
    fee=(Decimal("100.00"), "TJS"),
    phone_prefix="+996 770",
    document_prefix="AC",
    street="Manas street",
    applicant_locale="ky",
    alert=("Садыкова", "Назира", date(1993, 10, 12)),
)

KYRGYZ_HOME = Side(
    code="KG",
    partner="TJ",
    posts=(
        ("KG-TJ-01", "Kyzyl-Bel — Ovchi-Qalacha", CrossingPointKind.ROAD, "08:00–20:00", True),
        ("KG-TJ-02", "Ak-Sai — Vorukh", CrossingPointKind.PEDESTRIAN, "07:00–19:00", True),
        ("KG-TJ-03", "Karamyk — Jirgatol", CrossingPointKind.ROAD, "24 h", False),
    ),
    staff=_staff(
        "KG",
        "TJ",
        ("Aibek Sadykov", "Gulnara Asanova", "Bakyt Osmonov", "Col. Almaz Toktogulov", "Col. Sharif Nazarov"),
        ("KG-TJ-01", "KG-TJ-02"),
    ),
    applicants=(
        ("Раҳимов", "Фаррух", Sex.MALE, date(1979, 3, 14), "Vorukh", "submitted"),
        ("Саидова", "Нилуфар", Sex.FEMALE, date(1988, 7, 2), "Chorkuh", "overdue"),
        ("Каримов", "Даврон", Sex.MALE, date(1990, 11, 23), "Surkh", "info_requested"),
        ("Назарова", "Мадина", Sex.FEMALE, date(1975, 5, 30), "Shurob", "answered"),
        ("Исмоилов", "Бахтиёр", Sex.MALE, date(1983, 1, 9), "Kulkand", "approved"),
        ("Юсуфова", "Зарина", Sex.FEMALE, date(2011, 9, 17), "Navgilem", "approved"),
        ("Шарипов", "Ҷамшед", Sex.MALE, date(1969, 12, 1), "Lakkon", "suspended"),
        ("Раҷабова", "Гулнора", Sex.FEMALE, date(1995, 4, 4), "Khojai Alo", "revoked"),
        ("Холов", "Фирдавс", Sex.MALE, date(1986, 8, 19), "Ovchi-Qalacha", "refused"),
        ("Мирзоева", "Шаҳло", Sex.FEMALE, date(1972, 2, 28), "Gulakandoz", "reconsideration"),
        ("Қодиров", "Умед", Sex.MALE, date(1981, 6, 6), "Unji", "upheld"),
        ("Ҳасанова", "Малика", Sex.FEMALE, date(1993, 10, 12), "Dombrachi", "alert"),
    ),
    fee=(Decimal("500.00"), "KGS"),
    phone_prefix="+992 92",
    document_prefix="A0",
    street="Navruz street",
    applicant_locale="tg",
    alert=("Ҳасанова", "Малика", date(1993, 10, 12)),
)

SIDES = {side.code: side for side in (TAJIK_HOME, KYRGYZ_HOME)}
