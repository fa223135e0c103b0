"""TOTP codes (RFC 6238: six digits, 30-second steps, SHA-1, as every authenticator app reads them)
with pyotp, the QR code of the ``otpauth://`` address as inline SVG, and recovery codes. Pure
functions: the time is passed in."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import pyotp
import qrcode
from qrcode.constants import ERROR_CORRECT_M

STEP_SECONDS = 30
DIGITS = 6
# a code of the step before or after now is still taken: the phone's clock may be a little off and
# typing takes time (RFC 6238 section 5.2 recommends at most one step of delay)
ACCEPTED_STEPS = (-1, 0, 1)
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length (32 base32 characters)
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper and typed again
RECOVERY_GROUP, RECOVERY_GROUPS = 5, 2  # "k7wpa-3nfxq": about 49 bits each
MAX_CODE_LENGTH = 40
CODE_RE = re.compile(rf"^\d{{{DIGITS}}}$")


def new_secret() -> str:
    return pyotp.random_base32(length=SECRET_BYTES * 8 // 5)


def secret_for_display(secret: str) -> str:
    """The secret in groups of four, as authenticator apps show it for typing in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def clean_code(code: str) -> str:
    """What was typed, without the spaces, dashes and case a person adds."""
    return re.sub(r"[\s\-]", "", code).lower()[:MAX_CODE_LENGTH]


def is_totp_code(code: str) -> bool:
    return bool(CODE_RE.match(clean_code(code)))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The step (now, or one before or after) whose code this is, else None; the latest if several."""
    typed = clean_code(code)
    if not CODE_RE.match(typed):
        return None
    current = step_at(now)
    found = None
    for offset in ACCEPTED_STEPS:
        if secrets.compare_digest(code_at_step(secret, current + offset), typed):
            found = current + offset
    return found


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    codes = []
    for _ in range(count):
        letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP * RECOVERY_GROUPS))
        groups = [letters[i : i + RECOVERY_GROUP] for i in range(0, len(letters), RECOVERY_GROUP)]
        codes.append("-".join(groups))
    return codes


def qr_svg(text: str, title: str) -> str:
    """``text`` as a QR code in inline SVG: one path of dark runs on a white square with the four
    modules of quiet zone, no style attribute (the CSP allows none), named for screen readers."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the border
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" class="qr-code" '
        f'role="img" aria-label="{escaped.replace(chr(34), "&quot;")}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
