"""What each generated row holds: the SQL (INSERT ... SELECT over generate_series) that bench/datagen.py
runs for the big tables, as a map of column -> SQL expression over a source query. The "random"
choices are hashes of the row ids (``pg_temp.frac``), so one size gives the same data (the dates
follow the day it is made)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from lbt.core.transliteration import search_key, to_latin

PLACEHOLDER_TOKEN = "bench-placeholder"

# Kyrgyz surnames (male form; the female form adds -a) and given names: the applicants are the
# neighbour's residents, written in Cyrillic, transliterated by the app's own ICAO 9303 rules
SURNAMES = [
    "Асанов",
    "Токтогулов",
    "Жумабеков",
    "Осмонов",
    "Мамытов",
    "Сыдыков",
    "Калыков",
    "Ибраимов",
    "Абдыкадыров",
    "Бекмуратов",
    "Турдубаев",
    "Садыков",
    "Эсенов",
    "Кадыров",
    "Мамбетов",
    "Айдаров",
    "Сатыбалдиев",
    "Жээнбеков",
    "Бакиев",
    "Акматов",
    "Орозбеков",
    "Султанов",
    "Усенов",
    "Шаршеев",
    "Токтосунов",
    "Насиров",
    "Абдыраимов",
    "Жолдошев",
    "Исаков",
    "Кубатов",
]
MALE_NAMES = [
    "Бакыт",
    "Нурлан",
    "Эрлан",
    "Талант",
    "Азамат",
    "Марат",
    "Улан",
    "Эрмек",
    "Нурбек",
    "Бекзат",
    "Адилет",
    "Азиз",
    "Жоомарт",
    "Канат",
    "Мирлан",
    "Руслан",
    "Самат",
    "Темирлан",
    "Чынгыз",
    "Элдияр",
]
FEMALE_NAMES = [
    "Айгүл",
    "Жылдыз",
    "Гүлнара",
    "Айпери",
    "Чолпон",
    "Назира",
    "Бермет",
    "Нурай",
    "Айзада",
    "Динара",
    "Жаркын",
    "Калыйча",
    "Мээрим",
    "Салтанат",
    "Толгонай",
    "Асел",
    "Айжан",
    "Бурул",
    "Гулзат",
    "Элнура",
]
REASONS = ["family", "social", "cultural", "economic", "education", "health"]


@dataclass(frozen=True)
class Reference:
    agreement_id: int
    localities: list[tuple[int, str]]  # the neighbour's border-area localities: id, Latin name
    points: list[int]  # the crossing points the bench guard serves
    officer_id: int
    guard_ids: list[int]
    photo_id: int
    home_state: str
    signing_kid: str  # the data's signing key: every permit names it, as if that key had signed it


def frac_function(connection: Connection) -> None:
    """A deterministic "random" number in [0, 1) from an integer (PostgreSQL's own hash function);
    a plain SQL function, so the planner inlines it."""
    connection.exec_driver_sql(
        "CREATE FUNCTION pg_temp.frac(bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS "
        "$$ SELECT (hashint8($1) & 2147483647)::float8 / 2147483648.0 $$"
    )


def _serial_text(column: str) -> str:
    """``%06d`` as Python writes it: six digits, more when the serial needs them."""
    return f"CASE WHEN {column} < 1000000 THEN lpad({column}::text, 6, '0') ELSE {column}::text END"


def _permit_number_sql(state: str, year: str, serial: str) -> str:
    """``TJ-2026-000123-4``, with the ICAO 9303 check digit (weights 7, 3, 1 over the letters and
    digits of state + year + serial) computed in SQL; the state's letters are weighed here."""
    letters = sum((ord(char) - ord("A") + 10) * (7, 3, 1)[index % 3] for index, char in enumerate(state))
    body = f"(({year})::text || lpad(({serial})::text, 6, '0'))"
    digits = " + ".join(
        f"substr({body}, {position + 1}, 1)::int * {(7, 3, 1)[(position + len(state)) % 3]}"
        for position in range(10)
    )
    return (
        f"'{state}-' || ({year})::text || '-' || {_serial_text(f'({serial})')} || '-' || "
        f"(({letters} + {digits}) % 10)::text"
    )


def names() -> dict[str, list[str]]:
    """Parallel arrays of national and Latin names (the Latin as the app transliterates it)."""
    female = [name + "а" for name in SURNAMES]
    return {
        "male_surnames": SURNAMES,
        "female_surnames": female,
        "male_surnames_latin": [to_latin(name) for name in SURNAMES],
        "female_surnames_latin": [to_latin(name) for name in female],
        "male_names": MALE_NAMES,
        "female_names": FEMALE_NAMES,
        "male_names_latin": [to_latin(name) for name in MALE_NAMES],
        "female_names_latin": [to_latin(name) for name in FEMALE_NAMES],
    }


def check_search_key() -> None:
    """The SQL writes the search key as ``upper Latin surname || ' ' || given names``: the app's rule."""
    for surname, given in zip(SURNAMES, MALE_NAMES, strict=False):
        assert search_key(surname, given) == f"{to_latin(surname)} {to_latin(given)}"


APPLICATION_SOURCE = """
FROM (
  SELECT s.*,
         row_number() OVER (PARTITION BY extract(year FROM s.submitted_at AT TIME ZONE 'UTC')
                            ORDER BY s.submitted_at, s.i) AS serial
  FROM (
    SELECT g.i, g.bucket, g.male, g.person, g.given, g.locality,
           CASE WHEN g.bucket < 90 THEN 'approved' WHEN g.bucket < 94 THEN 'submitted'
                WHEN g.bucket < 96 THEN 'info_requested' WHEN g.bucket < 97 THEN 'reconsideration'
                WHEN g.bucket < 99 THEN 'refused' ELSE 'withdrawn' END AS status,
           CASE WHEN g.bucket BETWEEN 90 AND 96
                THEN date_trunc('second', CAST(:now AS timestamptz)
                                - make_interval(secs => floor(pg_temp.frac(g.i * 16 + 1) * 45 * 86400)))
                ELSE date_trunc('second', CAST(:now AS timestamptz) - interval '1095 days'
                                + make_interval(secs => (g.i - 1)::float8 / :n * 1070 * 86400))
           END AS submitted_at
    FROM (
      SELECT i, ((i % 100) * 7919) % 100 AS bucket, i % 2 = 0 AS male,
             1 + (i / 2) % array_length(CAST(:male_surnames AS text[]), 1) AS person,
             1 + (i / 61) % array_length(CAST(:male_names AS text[]), 1) AS given,
             1 + (i * 13) % array_length(CAST(:locality_ids AS int[]), 1) AS locality
      FROM generate_series(1, :n) AS i
    ) AS g
  ) AS s
) AS a
"""


def application_values(ref: Reference) -> dict[str, str]:
    surname = "CASE WHEN a.male THEN (CAST(:male_surnames{0} AS text[]))[a.person] ELSE (CAST(:female_surnames{0} AS text[]))[a.person] END"
    given = "CASE WHEN a.male THEN (CAST(:male_names{0} AS text[]))[a.given] ELSE (CAST(:female_names{0} AS text[]))[a.given] END"
    birth = "(DATE '1950-01-01' + (a.i * 37) % 20000)"
    decided = "a.submitted_at + make_interval(secs => floor((3 + pg_temp.frac(a.i * 16 + 2) * 19) * 86400))"
    is_open = "a.status IN ('submitted', 'info_requested', 'reconsideration')"
    return {
        "id": "a.i",
        "reference": "'LBT-' || extract(year FROM a.submitted_at AT TIME ZONE 'UTC')::int || '-' || "
        + _serial_text("a.serial"),
        "access_code_hash": "md5(a.i::text) || md5((-a.i)::text)",
        "agreement_id": str(ref.agreement_id),
        "status": "a.status",
        "kind": "'first'",
        "surname_national": surname.format(""),
        "given_names_national": given.format(""),
        "surname_latin": surname.format("_latin"),
        "given_names_latin": given.format("_latin"),
        "search_name": f"{surname.format('_latin')} || ' ' || {given.format('_latin')}",
        "sex": "CASE WHEN a.male THEN 'M' ELSE 'F' END",
        "birth_date": birth,
        "birth_place": "(CAST(:locality_names AS text[]))[a.locality]",
        "nationality": "'KGZ'",
        "phone": "'+996 770 ' || lpad((a.i % 1000000)::text, 6, '0')",
        "email": "''",
        "preferred_locale": "CASE WHEN a.i % 3 = 0 THEN 'en' ELSE 'ru' END",
        "document_type": "'passport'",
        "document_number": "'AC' || lpad(a.i::text, 7, '0')",
        "document_issuing_state": "'KGZ'",
        "document_expiry": "((a.submitted_at AT TIME ZONE 'UTC')::date + 1830 + a.i % 1800)",
        "locality_id": "(CAST(:locality_ids AS int[]))[a.locality]",
        "address": "(CAST(:locality_names AS text[]))[a.locality] || ', ' || (1 + a.i % 200) || ' Manas street'",
        "resident_since": f"({birth} + (a.i % 10) * 365)",
        "family_relationship": "''",
        "family_reference": "''",
        "reason": "(CAST(:reasons AS text[]))[1 + a.i % array_length(CAST(:reasons AS text[]), 1)]",
        "reason_text": "'Visiting relatives and the market across the border.'",
        "declaration_accepted": "true",
        "photo_file_id": str(ref.photo_id),
        "submitted_at": "a.submitted_at",
        "decision_due": "((a.submitted_at AT TIME ZONE 'UTC')::date + 30)",
        "decided_at": f"CASE WHEN {is_open} OR a.status = 'withdrawn' THEN NULL ELSE date_trunc('second', {decided}) END",
        "decided_by_id": f"CASE WHEN {is_open} OR a.status = 'withdrawn' THEN NULL ELSE {ref.officer_id} END",
        "refusal_reasons": "CASE WHEN a.status IN ('refused', 'reconsideration') "
        """THEN '["residence_not_proven"]'::json ELSE '[]'::json END""",
        "decision_text": "CASE WHEN a.status IN ('refused', 'reconsideration') "
        "THEN 'The address could not be confirmed.' ELSE '' END",
        "reconsideration_until": "CASE WHEN a.status IN ('refused', 'reconsideration') "
        f"THEN (({decided}) AT TIME ZONE 'UTC')::date + 14 END",
        "fee_amount": "100.00",
        "fee_currency": "'TJS'",
        "fee_status": "CASE WHEN a.status = 'approved' THEN 'paid' ELSE 'due' END",
    }


# The permits: one per approved application (id = the application's id), and for the replaced ones
# the permit that replaced them (a lost card: same holder, new number, issued when the old one was
# marked replaced). Status buckets per thousand: 10 revoked, 5 suspended, 2 annulled, 3 replaced.
PERMIT_SOURCE = """
FROM (
  SELECT u.*, row_number() OVER (PARTITION BY extract(year FROM u.issued_at AT TIME ZONE 'UTC')
                                 ORDER BY u.issued_at, u.id) AS serial
  FROM (
    SELECT a.id, a.id AS application_id, a.decided_at AS issued_at, NULL::int AS replaces_id, b.bucket,
           CASE WHEN a.decided_at + interval '100 days' >= CAST(:now AS timestamptz) THEN 'active'
                WHEN b.bucket < 10 THEN 'revoked' WHEN b.bucket < 15 THEN 'suspended'
                WHEN b.bucket < 17 THEN 'annulled' WHEN b.bucket < 20 THEN 'replaced' ELSE 'active' END AS status,
           (a.decided_at AT TIME ZONE 'UTC')::date AS valid_from
    FROM applications a CROSS JOIN LATERAL (SELECT (a.id * 31) % 1000 AS bucket) b
    WHERE a.status = 'approved'
    UNION ALL
    SELECT :n + row_number() OVER (ORDER BY a.id), a.id, a.decided_at + interval '100 days', a.id, 1000,
           'active', (a.decided_at AT TIME ZONE 'UTC')::date
    FROM applications a
    WHERE a.status = 'approved' AND (a.id * 31) % 1000 BETWEEN 17 AND 19
          AND a.decided_at + interval '100 days' < CAST(:now AS timestamptz)
  ) AS u
) AS p JOIN applications a ON a.id = p.application_id
"""


def permit_values(ref: Reference) -> dict[str, str]:
    changed = "CASE WHEN p.status <> 'active' THEN p.issued_at + interval '100 days' END"  # in the past
    return {
        "id": "p.id",
        "number": _permit_number_sql(
            ref.home_state, "extract(year FROM p.issued_at AT TIME ZONE 'UTC')::int", "p.serial"
        ),
        "application_id": "p.application_id",
        "agreement_id": "a.agreement_id",
        "issuing_state": f"'{ref.home_state}'",
        "status": "p.status",
        "status_reason": "CASE p.status WHEN 'revoked' THEN 'Resale trade found at the market.' "
        "WHEN 'suspended' THEN 'Overstay under investigation.' WHEN 'annulled' THEN 'False residence proof.' "
        "WHEN 'replaced' THEN 'Card lost.' ELSE '' END",
        # a status changed 100 days after issue (only permits issued longer ago have one)
        "status_changed_at": changed,
        "surname_national": "a.surname_national",
        "given_names_national": "a.given_names_national",
        "surname_latin": "a.surname_latin",
        "given_names_latin": "a.given_names_latin",
        "search_name": "a.search_name",
        "sex": "a.sex",
        "birth_date": "a.birth_date",
        "nationality": "a.nationality",
        "document_number": "a.document_number",
        "locality_id": "a.locality_id",
        "address": "a.address",
        "photo_file_id": "a.photo_file_id",
        "valid_from": "p.valid_from",
        "valid_until": "(p.valid_from + interval '2 years' - interval '1 day')::date",
        "max_stay_days": "30",
        "issued_at": "p.issued_at",
        "issued_by_id": str(ref.officer_id),
        "replaces_id": "p.replaces_id",
        "signing_kid": f"'{ref.signing_kid}'",
        "token": f"'{PLACEHOLDER_TOKEN}'",
    }


# Each permit's crossings lie in the last year of its use (its validity, up to yesterday, and up to
# the day it was withdrawn): `pairs` trips, one per equal slot of that window, entry somewhere in
# the slot's first half, a stay of 0 (a day trip, the most common) to 25 days; 3 ‰ of the permits
# with a long window overstay once (31-39 days, then a misuse case); 4 % of the valid ones have a
# last entry in the past month and no exit yet (inside now). `rate` (trips per day of window) makes
# the mean come out at the asked crossings per permit.
WINDOWS = """
SELECT w.*, w.wend - w.wstart AS span FROM (
  SELECT p.id AS permit_id, v.inside, v.wend0 - CASE WHEN v.inside THEN 30 ELSE 0 END AS wend,
         greatest((p.issued_at AT TIME ZONE 'UTC')::date,
                  v.wend0 - CASE WHEN v.inside THEN 30 ELSE 0 END - 364) AS wstart
  FROM permits p CROSS JOIN LATERAL (
    SELECT least(p.valid_until, CAST(:today AS date) - 1,
                 coalesce((p.status_changed_at AT TIME ZONE 'UTC')::date, CAST(:today AS date) - 1)) AS wend0,
           p.status = 'active' AND p.valid_from <= CAST(:today AS date) - 31
           AND p.valid_until > CAST(:today AS date) AND pg_temp.frac(p.id * 16 + 5) < 0.04 AS inside
  ) AS v
) AS w WHERE w.wend > w.wstart
"""

CROSSING_SOURCE = f"""
FROM (
  SELECT t.permit_id, t.k, d.direction,
         CASE WHEN d.direction = 'entry' THEN t.entry_at ELSE t.exit_at END AS at,
         CASE WHEN d.direction = 'exit' AND pg_temp.frac(t.permit_id * 64 + t.k * 4 + 3) < 0.1
              THEN t.other_point ELSE t.point END AS point,
         t.overstay AND d.direction = 'exit' AS overstay_exit
  FROM (
    SELECT x.*, x.entry_at + make_interval(days => x.stay_days,
                                           secs => floor((1 + pg_temp.frac(x.permit_id * 64 + x.k * 4 + 1) * 7) * 3600))
                AS exit_at
    FROM (
      SELECT s.permit_id, s.k, s.overstay,
             (s.wstart + make_interval(secs => floor(((s.k - 1) + pg_temp.frac(s.permit_id * 64 + s.k * 4) * 0.5)
                                               * s.slot * 86400))) AT TIME ZONE 'UTC'
               + make_interval(hours => 1 + floor(pg_temp.frac(s.permit_id * 64 + s.k * 4 + 2) * 14)::int) AS entry_at,
             CASE WHEN s.overstay THEN 31 + floor(pg_temp.frac(s.permit_id * 64 + 5) * 9)::int
                  ELSE floor(power(pg_temp.frac(s.permit_id * 64 + s.k * 4 + 2), 3) * least(s.slot * 0.45, 25))::int
             END AS stay_days,
             CASE WHEN pg_temp.frac(s.permit_id * 64 + s.k * 4 + 1) < 0.7 THEN :point_a ELSE :point_b END AS point,
             CASE WHEN pg_temp.frac(s.permit_id * 64 + s.k * 4 + 1) < 0.7 THEN :point_b ELSE :point_a END AS other_point
      FROM (
        SELECT w.permit_id, w.wstart::timestamp AS wstart, k, w.span::float8 / w.pairs AS slot,
               k = 1 AND w.span::float8 / w.pairs >= 90 AND pg_temp.frac(w.permit_id * 16 + 7) < 0.01 AS overstay
        FROM (
          SELECT v.*, least(floor(:rate * v.span + pg_temp.frac(v.permit_id * 16 + 6))::int, v.span / 10) AS pairs
          FROM ({WINDOWS}) AS v
        ) AS w CROSS JOIN LATERAL generate_series(1, w.pairs) AS k
        WHERE w.pairs > 0
      ) AS s
    ) AS x
  ) AS t CROSS JOIN (VALUES ('entry'), ('exit')) AS d(direction)
  UNION ALL
  SELECT w.permit_id, 0, 'entry',
         (CAST(:today AS date) - 1 - floor(pg_temp.frac(w.permit_id * 16 + 8) * 28)::int)::timestamp AT TIME ZONE 'UTC'
           + make_interval(hours => 1 + floor(pg_temp.frac(w.permit_id * 16 + 9) * 14)::int),
         CASE WHEN pg_temp.frac(w.permit_id * 16 + 9) < 0.7 THEN :point_a ELSE :point_b END, false
  FROM ({WINDOWS}) AS w WHERE w.inside
) AS c
ORDER BY c.at
"""


def crossing_values(ref: Reference) -> dict[str, str]:
    officers = "(CAST(:guard_ids AS int[]))"
    return {
        "client_id": "gen_random_uuid()::text",
        "permit_id": "c.permit_id",
        "crossing_point_id": "c.point",
        "direction": "c.direction",
        "at": "c.at",
        # most are sent at once; a tenth were recorded offline and sent up to two days later
        "recorded_at": "least(c.at + CASE WHEN pg_temp.frac(c.permit_id * 64 + c.k * 4 + 3) < 0.1 "
        "THEN make_interval(hours => 1 + floor(pg_temp.frac(c.permit_id * 64 + c.k) * 47)::int) "
        "ELSE interval '5 seconds' END, CAST(:now AS timestamptz))",
        "officer_id": f"{officers}[1 + (c.permit_id + c.k) % array_length({officers}, 1)]",
        "verdict": "CASE WHEN c.overstay_exit OR pg_temp.frac(c.permit_id * 64 + c.k * 4 + 2) < 0.02 "
        "THEN 'check' ELSE 'pass' END",
        "reason": "CASE WHEN c.overstay_exit THEN 'Overstay: the holder was let out.' "
        "WHEN pg_temp.frac(c.permit_id * 64 + c.k * 4 + 2) < 0.02 THEN 'Photo worn: checked by hand.' "
        "ELSE '' END",
        "status": "'counted'",  # a later revision's column (held crossings), when it is there
    }


MISUSE_SOURCE = """
FROM (
  SELECT c.id, c.permit_id, c.at, c.direction,
         lag(c.at) OVER (PARTITION BY c.permit_id ORDER BY c.at, c.id) AS previous_at
  FROM crossings c
  WHERE c.permit_id IN (SELECT w.permit_id FROM ({windows}) AS w
                        WHERE pg_temp.frac(w.permit_id * 16 + 7) < 0.01)
) AS m
WHERE m.direction = 'exit' AND m.at - m.previous_at > interval '30 days'
"""

OTHER_MISUSE_SOURCE = """
FROM permits p
WHERE pg_temp.frac(p.id * 16 + 10) < 0.002 AND p.issued_at < CAST(:now AS timestamptz) - interval '30 days'
"""


def misuse_values() -> dict[str, str]:
    days = "((m.at AT TIME ZONE 'UTC')::date - (m.previous_at AT TIME ZONE 'UTC')::date + 1 - 30)"
    return {
        "permit_id": "m.permit_id",
        "kind": "'overstay'",
        "detected_at": "m.at",
        "crossing_id": "m.id",
        "days_over": days,
        "description": f"'Exit after an overstay of ' || {days} || ' days.'",
        "penalty": "'Warning'",
        "created_at": "m.at",
    }


def other_misuse_values() -> dict[str, str]:
    at = "greatest(p.issued_at, CAST(:now AS timestamptz) - interval '365 days') + make_interval(secs => floor(pg_temp.frac(p.id * 16 + 11) * 20 * 86400))"
    return {
        "permit_id": "p.id",
        "kind": "CASE WHEN p.id % 2 = 0 THEN 'left_border_area' ELSE 'resale_trade' END",
        "detected_at": at,
        "days_over": "0",
        "description": "CASE WHEN p.id % 2 = 0 THEN 'Seen outside the border area.' "
        "ELSE 'Selling goods bought across the border.' END",
        "penalty": "'Fine'",
        "created_at": at,
    }
