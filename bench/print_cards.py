"""How long a print batch takes and how much memory it needs (issue 11: constant memory, 1000 cards
under 20 s). Not a test: it prints figures.

    python bench/print_cards.py                          # 100 and 1000 cards
    python bench/print_cards.py --cards 100 --cards 500 --cards 1000 --traced

It makes a temporary SQLite database with the demo's reference data and staff, then as many permits as
the largest batch through the app's own services (an application submitted and approved each, so each
card has its signed QR), each holder with a photo of their own (600 x 771, the largest the upload
check stores, noisy enough to weigh what a real portrait weighs). Each batch is then printed in a
fresh process, as a print job does it (``BatchPrinter``, the permits read 50 at a time), into a file:
wall and CPU seconds of the printing alone, the process's peak RSS before and after, the file's size;
``--traced`` adds a second run under tracemalloc (several times slower) for the peak of Python's
allocations during the printing."""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lbt import create_app
from lbt.core.settings import Settings

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PART = 50  # as lbt/jobs/print_batches.py reads them


def settings_for(directory: Path) -> Settings:
    return Settings(
        instance_path=directory / "instance",
        database_url=f"sqlite:///{directory / 'bench.sqlite3'}",
        secret_key="p" * 40,
        public_url="https://lbt.border.example.tj",
    )


@cache
def _grain() -> Image.Image:
    return Image.effect_noise((600, 771), 24).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))


def portrait(index: int) -> bytes:
    """A drawn portrait of its own per holder (reportlab would embed identical photos once)."""
    image = Image.blend(
        _grain(), Image.new("RGB", (600, 771), (180 + index % 60, 200 - index % 40, 225)), 0.7
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 120, 420, 420), fill=(190 + index % 50, 155, 125))
    draw.rounded_rectangle((90, 450, 510, 771), radius=150, fill=(60, 80 + index % 70, 120))
    draw.text((280, 260), f"{index:04d}", fill=(40, 30, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def make_data(directory: Path, count: int) -> None:
    from sqlalchemy import select

    from lbt.accounts.models import User
    from lbt.accounts.passwords import use_password_hasher
    from lbt.applications import services, submission
    from lbt.applications.models import ApplicationKind, FeeStatus, TravelDocumentType
    from lbt.audit.models import AuditActor
    from lbt.core.migrate import upgrade
    from lbt.demo.reference import demo_side, load_demo
    from lbt.permits.services import PermitIssuer
    from lbt.permits.signing import KeyStore
    from lbt.reference.models import Locality, State
    from lbt.storage.uploads import FileStore, check_photo
    from tests.fixtures.passwords import TEST_HASHER

    use_password_hasher(TEST_HASHER)
    settings = settings_for(directory)
    app = create_app(settings)
    state = app.extensions["lbt"]
    upgrade(state.database.engine)
    side = demo_side(settings.home_state)
    files = state.find(FileStore)
    with state.database.transaction(AuditActor(None, "bench", "bench")) as session:
        load_demo(session, settings.instance_path, now=NOW, home_state=settings.home_state)
        session.flush()
        issuer = PermitIssuer(settings.home_state, state.find(KeyStore).ensure_key(NOW))
    partner = select(Locality).join(Locality.state).where(State.code == side.partner).order_by(Locality.id)
    for start in range(0, count, PART):
        with state.database.transaction(AuditActor(None, "bench", "bench")) as session:
            officer = session.scalar(select(User).where(User.username == "officer"))
            localities = list(session.scalars(partner))
            for index in range(start, min(start + PART, count)):
                surname, given, sex, _born, _place, _goal = side.applicants[index % len(side.applicants)]
                locality = localities[index % len(localities)]
                photo = files.save(check_photo(portrait(index), "photo.jpg"))
                session.add(photo)
                born = date(1960, 1, 1) + timedelta(days=index * 11)
                data = submission.ApplicationInput(
                    locality_id=locality.id,
                    kind=ApplicationKind.FIRST,
                    surname_national=surname,
                    given_names_national=given,
                    surname_latin=f"BENCH{index:04d}",
                    given_names_latin="HOLDER",
                    sex=sex,
                    birth_date=born,
                    birth_place=locality.name_latin,
                    nationality=side.partner_alpha3,
                    phone=f"{side.phone_prefix} {100000 + index:06d}",
                    document_type=TravelDocumentType.PASSPORT,
                    document_number=f"{side.document_prefix}{5000000 + index:07d}",
                    document_issuing_state=side.partner_alpha3,
                    document_expiry=date(2031, 6, 30),
                    address=f"{locality.name_latin}, {index} {side.street}",
                    resident_since=date(2004, 5, 1),
                    reason="family",
                    reason_text="Visiting relatives across the border.",
                    declaration_accepted=True,
                    preferred_locale="ru",
                )
                application = submission.submit(
                    session, data, photo=photo, documents=[], now=NOW, home_state=settings.home_state
                ).application
                services.approve(
                    session,
                    application,
                    officer=officer,
                    valid_from=NOW.date(),
                    valid_until=services.validity_bounds(application, NOW.date()).max_until,
                    fee_status=FeeStatus.PAID,
                    issue=issuer,
                    now=NOW,
                )
    state.database.dispose()


def print_cards(directory: Path, count: int, traced: bool) -> dict[str, Any]:
    """One batch of ``count`` cards, as the print job draws it; run in a process of its own."""
    from lbt.audit.models import AuditActor
    from lbt.permits.printing import BatchPrinter, permits_to_print
    from lbt.storage.uploads import FileStore

    settings = settings_for(directory)
    state = create_app(settings).extensions["lbt"]
    actor = AuditActor(None, "bench", "bench")
    with state.database.transaction(actor) as session:
        ids = [permit.id for permit in permits_to_print(session, since=None)][:count]
    output = directory / f"cards-{count}.pdf"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if traced:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    with output.open("wb") as out:
        with state.database.transaction(actor) as session:
            printer = BatchPrinter(
                session,
                out,
                today=NOW.date(),
                home_state=settings.home_state,
                authority=settings.issuing_authority,
                public_url=settings.public_url,
                files=state.find(FileStore),
            )
        for start in range(0, len(ids), PART):
            with state.database.transaction(actor) as session:
                for permit in permits_to_print(session, since=None, ids=ids[start : start + PART]):
                    printer.add(session, permit)
        report = printer.finish()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    traced_peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else None
    return {
        "cards": len(report.printed),
        "skipped": len(report.skipped),
        "seconds": wall,
        "cpu_seconds": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "traced_peak_mb": traced_peak,
        "file_mb": output.stat().st_size / 1e6,
    }


def in_own_process(directory: Path, count: int, traced: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--print-in", str(directory), "--cards", str(count)]
    done = subprocess.run(command + (["--traced"] if traced else []), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, action="append", help="cards per batch (repeatable)")
    parser.add_argument("--traced", action="store_true", help="also a run under tracemalloc per batch")
    parser.add_argument("--print-in", type=Path, help=argparse.SUPPRESS)  # the child process
    options = parser.parse_args()
    sizes = options.cards or [100, 1000]
    if options.print_in:
        print(json.dumps(print_cards(options.print_in, sizes[0], options.traced)))
        return
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        started = time.perf_counter()
        make_data(directory, max(sizes))
        print(
            f"{max(sizes)} permits made in {time.perf_counter() - started:.0f} s; load {os.getloadavg()[0]:.1f}"
        )
        print(
            "| cards | seconds | CPU seconds | s per card | peak RSS MB (before) | traced peak MB | file MB |"
        )
        print("|---|---|---|---|---|---|---|")
        for count in sizes:
            row = in_own_process(directory, count, traced=False)
            if options.traced:
                row["traced_peak_mb"] = in_own_process(directory, count, traced=True)["traced_peak_mb"]
            traced = f"{row['traced_peak_mb']:.1f}" if row["traced_peak_mb"] is not None else "–"
            print(
                f"| {row['cards']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | "
                f"{row['seconds'] / row['cards'] * 1000:.0f} ms | {row['peak_rss_mb']:.0f} "
                f"({row['rss_before_mb']:.0f}) | {traced} | {row['file_mb']:.1f} |"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with others)")


if __name__ == "__main__":
    main()
