"""Mail goes through the outbox: what is queued arrives at a real SMTP server, in any script; a failed
send stays in the outbox and goes out later; nothing is sent twice or lost."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, event, select
from sqlalchemy.orm import Session

from lbt.core.errors import ValidationFailed
from lbt.notifications.mailer import lease_for, send_pending
from lbt.notifications.models import OutboxMessage
from lbt.notifications.services import (
    MAX_ATTEMPTS,
    claim_due,
    mark_failed,
    outbox_status,
    pending,
    queue_message,
    retry_delay,
    retry_stuck,
    stuck,
)
from tests.fixtures.database import Clock
from tests.fixtures.smtp import SENDER, SMTP_PASSWORD, SMTP_USER, SmtpServer

RUSSIAN_SUBJECT = "Заявление на разрешение принято"
RUSSIAN_BODY = (
    "Здравствуйте!\n\nВаше заявление № 2026-000123 принято к рассмотрению.\nСрок решения — 30 дней.\n"
)
TAJIK_SUBJECT = "Дархости иҷозат: маълумоти иловагӣ лозим аст"
TAJIK_BODY = (
    "Ассалому алейкум!\n\nЛутфан нусхаи шиносномаро фиристед: ӣ ӯ ҳ ҷ қ ғ — Ӣ Ӯ Ҳ Ҷ Қ Ғ.\nТашаккур.\n"
)


def _queue(
    db: Session, clock: Clock, recipient: str = "applicant@example.org", **fields: str
) -> OutboxMessage:
    return queue_message(
        db,
        recipient=recipient,
        subject=fields.get("subject", "Your application"),
        body=fields.get("body", "It was received.\n"),
        now=clock(),
    )


def _text(message: EmailMessage) -> str:
    """The decoded body, with the CRLF line ends of MIME's canonical text form (RFC 2046 4.1.1) as \\n."""
    return str(message.get_content()).replace("\r\n", "\n")


def test_queued_mail_in_russian_and_tajik_arrives_intact_and_is_marked_sent(
    db: Session, clock: Clock, smtp_server: SmtpServer
) -> None:
    russian = _queue(db, clock, "ivanov@example.org", subject=RUSSIAN_SUBJECT, body=RUSSIAN_BODY)
    tajik = _queue(db, clock, "rahimov@example.tj", subject=TAJIK_SUBJECT, body=TAJIK_BODY)

    report = send_pending(db, smtp_server.settings(), now=clock())

    assert (report.sent, report.failed, report.errors) == (2, 0, ())
    by_recipient = {received.rcpt_tos[0]: received for received in smtp_server.received}
    assert sorted(by_recipient) == ["ivanov@example.org", "rahimov@example.tj"]
    for outbox, subject, body in [
        (russian, RUSSIAN_SUBJECT, RUSSIAN_BODY),
        (tajik, TAJIK_SUBJECT, TAJIK_BODY),
    ]:
        received = by_recipient[outbox.recipient]
        assert received.mail_from == "permits@lbt.example.org"
        message = received.message
        assert str(message["From"]) == SENDER
        assert str(message["To"]) == outbox.recipient
        assert str(message["Subject"]) == subject
        assert _text(message) == body
        assert message.get_content_charset() == "utf-8"
        assert message["Message-ID"].startswith(f"<lbt.{outbox.id}.")
        assert message["Date"].datetime == clock()
        assert outbox.sent_at == clock()
        assert outbox.last_error == ""
    assert pending(db, clock()) == []


def test_a_batch_goes_through_one_smtp_connection(db: Session, clock: Clock, smtp_server: SmtpServer) -> None:
    for number in range(3):
        _queue(db, clock, f"applicant{number}@example.org")

    send_pending(db, smtp_server.settings(), now=clock())

    assert len(smtp_server.received) == 3
    assert len({received.peer for received in smtp_server.received}) == 1


def test_with_the_server_down_mail_stays_in_the_outbox_and_goes_out_later_exactly_once(
    db: Session, clock: Clock, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    message = _queue(db, clock, subject=RUSSIAN_SUBJECT, body=RUSSIAN_BODY)
    queued_at = clock()

    report = send_pending(db, smtp_server.settings(), now=clock())

    assert (report.sent, report.failed) == (0, 1)
    assert "no SMTP session with 127.0.0.1" in report.errors[0]
    db.expire_all()
    assert db.scalars(select(OutboxMessage)).all() == [message]
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.next_attempt_at == queued_at + timedelta(minutes=1)
    assert "refused" in message.last_error.lower()

    smtp_server.start()
    clock.advance(seconds=30)
    assert send_pending(db, smtp_server.settings(), now=clock()).sent == 0  # not due yet
    assert smtp_server.received == []

    clock.advance(seconds=30)
    assert send_pending(db, smtp_server.settings(), now=clock()).sent == 1
    clock.advance(minutes=10)
    assert send_pending(db, smtp_server.settings(), now=clock()).sent == 0

    assert [str(received.message["Subject"]) for received in smtp_server.received] == [RUSSIAN_SUBJECT]
    assert message.sent_at == queued_at + timedelta(minutes=1)
    assert message.attempts == 1


def test_a_message_not_yet_due_is_not_sent(db: Session, clock: Clock, smtp_server: SmtpServer) -> None:
    queue_message(
        db, recipient="later@example.org", subject="Later", body="Later.\n", now=clock() + timedelta(hours=1)
    )

    report = send_pending(db, smtp_server.settings(), now=clock())

    assert (report.sent, report.failed) == (0, 0)
    assert smtp_server.received == []


def test_a_refused_recipient_fails_alone(db: Session, clock: Clock, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refused.add("gone@example.org")
    first = _queue(db, clock, "first@example.org")
    refused = _queue(db, clock, "gone@example.org")
    last = _queue(db, clock, "last@example.org")

    report = send_pending(db, smtp_server.settings(), now=clock())

    assert (report.sent, report.failed) == (2, 1)
    assert report.errors == (f"message {refused.id}: 550 5.1.1 Mailbox unavailable",)
    assert [received.rcpt_tos for received in smtp_server.received] == [
        ["first@example.org"],
        ["last@example.org"],
    ]
    assert first.sent_at == last.sent_at == clock()
    assert refused.sent_at is None
    assert refused.attempts == 1
    assert refused.last_error == "550 5.1.1 Mailbox unavailable"
    assert refused.next_attempt_at == clock() + timedelta(minutes=1)


@pytest.mark.parametrize(
    "recipient",
    [
        "victim@example.org\r\nBcc: everyone@example.org",
        "victim@example.org\nBcc: everyone@example.org",
        "victim@example.org\rBcc: everyone@example.org",
        "victim@example.org, everyone@example.org",
        "Victim <victim@example.org>",
        "not an address",
        "victim@",
        "@example.org",
        "victim@localhost",
        "",
        "жертва@example.org",  # needs SMTPUTF8, which relays often refuse
    ],
)
def test_anything_but_one_plain_address_is_refused(db: Session, clock: Clock, recipient: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _queue(db, clock, recipient)

    assert refused.value.field == "email"
    assert str(refused.value) == "Invalid email address."
    assert db.scalars(select(OutboxMessage)).all() == []


def test_an_address_is_stored_trimmed_with_its_domain_in_lower_case(db: Session, clock: Clock) -> None:
    assert _queue(db, clock, "  Applicant@Example.ORG \n").recipient == "Applicant@example.org"


def test_line_breaks_in_the_subject_cannot_add_headers(
    db: Session, clock: Clock, smtp_server: SmtpServer
) -> None:
    message = _queue(db, clock, subject="Decision\r\nBcc: everyone@example.org\n\nInjected body\u2028x\x00")

    send_pending(db, smtp_server.settings(), now=clock())

    assert message.subject == "Decision Bcc: everyone@example.org Injected body x"
    [received] = smtp_server.received
    assert received.rcpt_tos == ["applicant@example.org"]
    assert received.message["Bcc"] is None
    assert str(received.message["Subject"]) == message.subject
    assert _text(received.message) == "It was received.\n"


def test_a_subject_longer_than_the_column_is_shortened(db: Session, clock: Clock) -> None:
    message = _queue(db, clock, subject="Решение " * 40)

    assert len(message.subject) == 200
    assert message.subject.endswith("…")


def test_an_empty_subject_is_a_programming_error(db: Session, clock: Clock) -> None:
    with pytest.raises(ValueError, match="needs a subject"):
        _queue(db, clock, subject=" \r\n ")


def test_retries_wait_one_two_four_minutes_and_so_on_up_to_six_hours() -> None:
    minutes = [retry_delay(attempts) / timedelta(minutes=1) for attempts in range(1, 12)]

    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert retry_delay(MAX_ATTEMPTS) == retry_delay(10_000) == timedelta(hours=6)


def test_after_twenty_failures_a_message_is_kept_but_no_longer_retried(db: Session, clock: Clock) -> None:
    message = _queue(db, clock)
    other = _queue(db, clock, "other@example.org")
    for _ in range(MAX_ATTEMPTS):
        mark_failed(message, "535 Authentication failed", clock())
    db.flush()
    clock.advance(days=30)

    assert pending(db, clock()) == [other]
    assert stuck(db) == [message]
    status = outbox_status(db, clock())
    assert (status.waiting, status.due, status.stuck, status.sent) == (1, 1, 1, 0)
    assert status.oldest_waiting_since == other.created_at

    assert retry_stuck(db, now=clock()) == 1
    assert stuck(db) == []
    assert message.attempts == 0
    assert pending(db, clock()) == [other, message]
    assert message.last_error == "535 Authentication failed"


def test_pending_lists_the_longest_waiting_first_up_to_the_limit(db: Session, clock: Clock) -> None:
    third = _queue(db, clock, "third@example.org")
    clock.advance(minutes=-10)
    first = _queue(db, clock, "first@example.org")
    clock.advance(minutes=5)
    second = _queue(db, clock, "second@example.org")
    clock.advance(minutes=10)

    assert pending(db, clock()) == [first, second, third]
    assert pending(db, clock(), limit=2) == [first, second]


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(db: Session, clock: Clock) -> None:
    message = _queue(db, clock)
    lease = timedelta(minutes=15)

    assert claim_due(db, now=clock(), limit=10, lease=lease) == [message]
    assert claim_due(db, now=clock(), limit=10, lease=lease) == []
    clock.advance(minutes=14)
    assert pending(db, clock()) == []
    clock.advance(minutes=1)  # the sender died without recording anything: the message is due again
    assert claim_due(db, now=clock(), limit=10, lease=lease) == [message]


def test_the_lease_outlasts_a_batch_that_times_out_on_every_message(smtp_server: SmtpServer) -> None:
    mail = smtp_server.settings(timeout_seconds=10)

    assert lease_for(mail, 100) > timedelta(seconds=10 * 101)
    assert lease_for(mail, 1) == timedelta(minutes=5)


def test_two_senders_at_once_never_take_the_same_message(engine: Engine, clock: Clock) -> None:
    """Committed rows on two connections: PostgreSQL skips the other sender's locked rows; on SQLite
    the second claim waits for the first to commit and then no longer sees its rows as due."""
    with Session(engine, info={"clock": clock}) as setup, setup.begin():
        ids = [_queue(setup, clock, f"race{number}@example.org").id for number in range(2)]
    lease = timedelta(minutes=15)
    second_claim: list[int] = []
    try:
        with Session(engine) as first, first.begin():
            first_claim = [message.id for message in claim_due(first, now=clock(), limit=1, lease=lease)]

            def claim_in_another_process() -> None:
                with Session(engine) as second, second.begin():
                    second_claim.extend(
                        message.id for message in claim_due(second, now=clock(), limit=10, lease=lease)
                    )

            other = threading.Thread(target=claim_in_another_process)
            other.start()
            other.join(timeout=0.5)  # PostgreSQL answers at once; SQLite waits for our commit
        other.join(timeout=20)
        assert not other.is_alive()
        assert first_claim == [ids[0]]
        assert second_claim == [ids[1]]
    finally:
        with Session(engine) as cleanup, cleanup.begin():
            cleanup.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))


def test_with_a_session_factory_each_step_commits_on_its_own(
    db: Session, connection: Connection, clock: Clock, smtp_server: SmtpServer
) -> None:
    message = _queue(db, clock)
    db.commit()  # a savepoint inside the test's transaction: visible to the factory's sessions
    opened: list[Session] = []

    def session_factory() -> Session:
        session = Session(bind=connection, join_transaction_mode="create_savepoint", info={"clock": clock})
        opened.append(session)
        return session

    report = send_pending(session_factory, smtp_server.settings(), now=clock())

    assert report.sent == 1
    assert len(opened) == 2  # the claim, then the outcome: no transaction open while talking SMTP
    db.expire_all()
    assert message.sent_at == clock()


def test_sending_a_batch_takes_the_same_number_of_queries_whatever_its_size(
    db: Session, connection: Connection, clock: Clock, smtp_server: SmtpServer
) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def statements_to_send(number: int) -> int:
        for index in range(number):
            _queue(db, clock, f"batch{number}-{index}@example.org")
        statements.clear()
        event.listen(connection, "before_cursor_execute", count)
        try:
            send_pending(db, smtp_server.settings(), now=clock())
        finally:
            event.remove(connection, "before_cursor_execute", count)
        return len(statements)

    assert statements_to_send(1) == statements_to_send(5)


def test_starttls_and_login_when_the_settings_ask_for_them(
    db: Session, clock: Clock, starttls_server: SmtpServer
) -> None:
    _queue(db, clock, subject=TAJIK_SUBJECT, body=TAJIK_BODY)
    mail = starttls_server.settings(use_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)

    assert send_pending(db, mail, now=clock()).sent == 1
    assert str(starttls_server.received[0].message["Subject"]) == TAJIK_SUBJECT


def test_a_wrong_password_fails_the_whole_batch_without_losing_it(
    db: Session, clock: Clock, starttls_server: SmtpServer
) -> None:
    messages = [_queue(db, clock, f"applicant{number}@example.org") for number in range(2)]
    mail = starttls_server.settings(use_tls=True, username=SMTP_USER, password="wrong")

    report = send_pending(db, mail, now=clock())

    assert (report.sent, report.failed) == (0, 2)
    assert starttls_server.received == []
    assert [message.attempts for message in messages] == [1, 1]
    assert all("535" in message.last_error for message in messages)


def test_when_tls_is_asked_for_a_server_without_starttls_gets_nothing(
    db: Session, clock: Clock, smtp_server: SmtpServer
) -> None:
    message = _queue(db, clock)

    report = send_pending(db, smtp_server.settings(use_tls=True), now=clock())

    assert (report.sent, report.failed) == (0, 1)
    assert "STARTTLS" in message.last_error
    assert smtp_server.received == []


def test_implicit_tls_when_the_settings_ask_for_it(
    db: Session, clock: Clock, implicit_tls_server: SmtpServer
) -> None:
    _queue(db, clock, subject=RUSSIAN_SUBJECT, body=RUSSIAN_BODY)

    assert send_pending(db, implicit_tls_server.settings(use_ssl=True), now=clock()).sent == 1
    assert _text(implicit_tls_server.received[0].message) == RUSSIAN_BODY


def test_an_untrusted_certificate_is_not_accepted(
    db: Session,
    clock: Clock,
    implicit_tls_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    message = _queue(db, clock)

    report = send_pending(db, implicit_tls_server.settings(use_ssl=True), now=clock())

    assert (report.sent, report.failed) == (0, 1)
    assert "CERTIFICATE_VERIFY_FAILED" in message.last_error
    assert implicit_tls_server.received == []
