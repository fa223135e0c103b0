"""How long a large CSV import takes now that the worker does it (issue 15 item 5), and how long the
request that starts it takes. Not a test: it prints figures.

    python bench/csv_import_job.py                       # 50,000 localities on SQLite
    python bench/csv_import_job.py --rows 10000 --database postgresql+psycopg://postgres@127.0.0.1:5432/

It makes a database of its own (a temporary SQLite file, or a database it creates and drops on the
PostgreSQL server named), loads the demo, logs in as an administrator with the test client, uploads
one file of new localities to the import page, and lets a worker (Huey's consumer, one thread, on
the embedded queue) import it, sampling the job's progress as the page's script would read it."""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lbt import create_app
from lbt.accounts.models import Role
from lbt.audit.models import AuditActor
from lbt.core.migrate import upgrade
from lbt.core.settings import Settings
from lbt.demo.reference import load_demo
from lbt.demo.sides import AGREEMENT_CODE
from lbt.jobs.models import Job
from lbt.jobs.queue import JobQueue
from tests.fixtures.clients import Client
from tests.fixtures.factories import make_user
from tests.fixtures.passwords import TEST_HASHER


def csv_of(rows: int) -> bytes:
    lines = ["agreement_code,state_code,district,name_latin,name_national,distance_km"]
    lines += [f"{AGREEMENT_CODE},KG,Batken,Bench-{n:06d},Бенч-{n:06d},{1 + n % 25}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def database(server: str | None, directory: Path) -> tuple[str, object]:
    if not server:
        return f"sqlite:///{directory / 'bench.sqlite3'}", None
    name = f"lbt_bench_import_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server).set(database=name).render_as_string(hide_password=False), (admin, name)


def ended(state, job_id: int) -> Job | None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    try:
        with state.database.transaction() as session:
            job = session.get(Job, job_id)
            if job is not None and job.ended:
                session.expunge(job)
                return job
    except OperationalError:  # SQLite: the import still holds the write lock
        pass
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database", default="", help="a PostgreSQL server URL; default: SQLite")
    options = parser.parse_args()
    from lbt.accounts.passwords import use_password_hasher

    use_password_hasher(TEST_HASHER)
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        url, dropping = database(options.database, directory)
        try:
            settings = Settings(instance_path=directory / "instance", database_url=url, secret_key="b" * 40)
            app = create_app(settings)
            app.test_client_class = Client
            state = app.extensions["lbt"]
            upgrade(state.database.engine)
            with state.database.transaction(AuditActor(None, "bench", "bench")) as session:
                load_demo(session, settings.instance_path, now=state.clock())
                make_user(session, "bench-admin", Role.ADMIN, two_factor=False)
            client: Client = app.test_client()  # type: ignore[assignment]
            client.login("bench-admin")
            content = csv_of(options.rows)
            started = time.perf_counter()
            response = client.submit(
                "/reference/localities/import",
                {"file": (io.BytesIO(content), "bench.csv")},
                content_type="multipart/form-data",
            )
            request_seconds = time.perf_counter() - started
            job_id = int(response.headers["Location"].rsplit("=", 1)[1])
            queue = state.find(JobQueue)
            worker = queue.consumer(workers=1, periodic=False, embedded=True)
            worker.start()
            samples = []
            try:
                # the progress as the page reads it: from the queue's storage while the job runs (on
                # SQLite the import's transaction holds the database's write lock: no transaction
                # could read the job record meanwhile), then the record once it has ended
                while True:
                    live = queue.board.read(job_id)
                    if live is not None:
                        samples.append((time.perf_counter() - started, "running", *live))
                    else:
                        job = ended(state, job_id)
                        if job is not None:
                            samples.append(
                                (
                                    time.perf_counter() - started,
                                    job.state.value,
                                    job.progress_done,
                                    job.progress_total,
                                )
                            )
                            break
                    time.sleep(1)
            finally:
                worker.stop(graceful=True)
            print(
                f"rows: {options.rows}, database: {make_url(url).get_backend_name()}, file {len(content) / 1e6:.1f} MB"
            )
            print(f"request that starts the job (file check, record, queue): {request_seconds:.2f} s")
            print(
                f"job {job.state.value} after {samples[-1][0]:.1f} s; outcome: {dict((k, v) for k, v in job.outcome.items() if k != 'errors')}"
            )
            if job.started_at and job.finished_at:
                print(f"the worker's attempt: {(job.finished_at - job.started_at).total_seconds():.1f} s")
            for at, state_value, done, total in samples[:: max(1, len(samples) // 12)]:
                print(f"  {at:6.1f} s  {state_value:8} {done:>7}/{total}")
            state.database.dispose()
        finally:
            if dropping is not None:
                admin, name = dropping  # type: ignore[misc]
                with admin.connect() as connection:  # type: ignore[attr-defined]
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
