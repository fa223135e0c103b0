"""Time the queries behind the busiest pages against a primary-key lookup, on generated data."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lbt.applications.models import OPEN_STATUSES, Application, ApplicationStatus
from lbt.core.db import make_engine, utcnow
from lbt.models import Base
from lbt.permits.models import Permit, PermitStatus
from lbt.reference.models import Agreement, Locality, State
from lbt.storage.models import StoredFile
from tests.dbutil import temporary_database

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
SURNAMES = ["ASANOV", "TOKTOGULOVA", "ZHUMABEKOV", "OSMONOVA", "MAMYTOV", "SYDYKOV", "RAHIMOV", "NAZAROV"]
GIVEN = ["BAKYT", "AIGUL", "NURLAN", "ZHYLDYZ", "ERLAN", "TALANT", "FARRUKH", "SHARIF"]


def generate(session: Session, permits: int, rng: random.Random) -> None:
    tj = State(
        code="TJ", alpha3="TJK", name_en="Tajikistan", name_ru="Таджикистан", name_national="Тоҷикистон"
    )
    kg = State(
        code="KG", alpha3="KGZ", name_en="Kyrgyzstan", name_ru="Кыргызстан", name_national="Кыргызстан"
    )
    agreements = [
        Agreement(
            code=f"TJ-KG-{i}",
            name="bench",
            state_a=tj,
            state_b=kg,
            in_force_from=date(2025, 1, 1),
            reasons=["family"],
            fee_exemptions=[],
        )
        for i in range(4)
    ]
    session.add_all([tj, kg, *agreements])
    session.flush()
    localities = [
        Locality(
            agreement=agreements[i % 4],
            state=kg,
            name_national=f"L{i}",
            name_latin=f"L{i}",
            district="D",
            distance_km=5,
        )
        for i in range(200)
    ]
    photo = StoredFile(stored_name="bench", content_type="image/jpeg", size_bytes=1, sha256="0" * 64)
    session.add_all([*localities, photo])
    session.flush()
    statuses = [ApplicationStatus.APPROVED] * 90 + list(OPEN_STATUSES) + [ApplicationStatus.REFUSED] * 7
    batch = 20_000
    for start in range(0, permits, batch):
        apps, perms = [], []
        for n in range(start, min(start + batch, permits)):
            loc = localities[n % len(localities)]
            surname, given = rng.choice(SURNAMES) + str(n % 997), rng.choice(GIVEN)
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(18000))
            status = rng.choice(statuses)
            common = {
                "surname_national": surname,
                "given_names_national": given,
                "surname_latin": surname,
                "given_names_latin": given,
                "search_name": f"{surname} {given}",
                "sex": "M",
                "birth_date": born,
                "nationality": "KGZ",
                "document_number": f"AC{n:08d}",
                "locality_id": loc.id,
                "address": "x",
                "photo_file_id": photo.id,
            }
            apps.append(
                {
                    **common,
                    "id": n + 1,
                    "reference": f"LBT-2026-{n:07d}",
                    "access_code_hash": "0" * 64,
                    "agreement_id": loc.agreement_id,
                    "status": status.value,
                    "kind": "first",
                    "birth_place": "x",
                    "phone": "x",
                    "document_type": "passport",
                    "document_issuing_state": "KGZ",
                    "document_expiry": date(2031, 1, 1),
                    "resident_since": born,
                    "reason": "family",
                    "declaration_accepted": True,
                    "submitted_at": NOW - timedelta(days=n % 60),
                    "decision_due": TODAY + timedelta(days=30 - n % 60),
                }
            )
            valid_from = TODAY - timedelta(days=rng.randrange(1500))
            perms.append(
                {
                    **common,
                    "number": f"TJ-2026-{n:07d}-0",
                    "application_id": n + 1,
                    "agreement_id": loc.agreement_id,
                    "issuing_state": "TJ",
                    "status": rng.choice([PermitStatus.ACTIVE.value] * 9 + [PermitStatus.REVOKED.value]),
                    "valid_from": valid_from,
                    "valid_until": valid_from + timedelta(days=730),
                    "max_stay_days": 30,
                    "issued_at": NOW,
                    "signing_kid": f"kid{n % 3}",
                    "token": "x",
                }
            )
        session.execute(insert(Application), apps)
        session.execute(insert(Permit), perms)
        session.flush()
        print(f"  {min(start + batch, permits):,} permits", file=sys.stderr)


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--permits", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder, temporary_database(Path(folder), "lbt_bench") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        with Session(engine, info={"clock": utcnow}) as session, session.begin():
            generate(session, args.permits, rng)
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
        session = Session(engine)
        ids = [rng.randrange(1, args.permits) for _ in range(args.repeat)]
        it = iter(ids * 10)
        queries: dict[str, Callable[[], object]] = {
            "baseline: permit by primary key": lambda: session.execute(
                select(Permit).where(Permit.id == next(it))
            ).all(),
            "permit by number": lambda: session.execute(
                select(Permit).where(Permit.number == f"TJ-2026-{next(it):07d}-0")
            ).all(),
            "permits by travel document": lambda: session.execute(
                select(Permit).where(Permit.document_number == f"AC{next(it):08d}")
            ).all(),
            "officer queue, first page": lambda: session.execute(
                select(Application)
                .where(Application.agreement_id.in_([1, 2]), Application.status.in_(OPEN_STATUSES))
                .order_by(Application.decision_due, Application.submitted_at)
                .limit(50)
            ).all(),
            "queue search by name prefix": lambda: session.execute(
                select(Application)
                .where(Application.search_name.like(f"{rng.choice(SURNAMES)}{next(it) % 997} %"))
                .limit(50)
            ).all(),
            "checklist: other valid permit": lambda: session.execute(
                select(Permit.number).where(
                    Permit.document_number == f"AC{next(it):08d}",
                    Permit.status.in_([PermitStatus.ACTIVE, PermitStatus.SUSPENDED]),
                    Permit.valid_until >= TODAY,
                )
            ).all(),
            "JWKS: is a key still needed (per kid)": lambda: session.execute(
                select(func.count()).select_from(
                    select(Permit.id)
                    .where(Permit.signing_kid == "kid1", Permit.valid_until >= TODAY)
                    .limit(1)
                    .subquery()
                )
            ).scalar(),
        }
        baseline = None
        results = {}
        for name, query in queries.items():
            query()  # warm up
            seconds = timed(query, args.repeat)
            baseline = baseline or seconds
            results[name] = {"median_ms": round(seconds * 1000, 3), "ratio": round(seconds / baseline, 2)}
            print(f"{name:<42} {seconds * 1000:9.3f} ms  x{seconds / baseline:7.2f}")
        session.close()
        engine.dispose()
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / f"queries-{engine.dialect.name}-{args.permits}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
