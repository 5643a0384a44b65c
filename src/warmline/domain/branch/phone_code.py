"""One-time codes by SMS: checking in at a kiosk with a phone number.

The customer types their number; Warmline sends a code of ``DIGITS`` = 6 digits to it and
the kiosk asks for it back. The same happens whether or not the number belongs to a
customer, so the shared kiosk never tells a passer-by whose number is whose; only after
the right code does it greet them by first name (or check them in as a guest).

The rules:

* a code works for ``MINUTES`` = 10 minutes and once;
* ``MAX_TRIES`` = 5 wrong codes burn it: a guess is right with probability
  5 / 10**6 per code sent;
* at most ``SENDS_PER_PHONE`` = 3 codes a number an hour and ``SENDS_PER_KIOSK`` = 60 a
  kiosk an hour, so a kiosk cannot be used to flood a phone or run up a bill;
* only a slow, salted hash of the code is kept (scrypt, about 40 ms), and the number
  only as a keyed hash (for the limits): a copy of the table gives neither.

Proving the phone is in the customer's hand is weak evidence of who they are, and the
card says so: "verified at the branch (weak: SMS one-time code)".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

DIGITS = 6
MINUTES = 10
MAX_TRIES = 5
SENDS_PER_PHONE = 3
SENDS_PER_KIOSK = 60
SEND_WINDOW = dt.timedelta(hours=1)
#: How the verification an SMS code gives is recorded on the visit.
METHOD = "sms_otp"
LEVEL = "weak"

_N, _R, _P = 2**14, 8, 1


def new_phone_code() -> str:
    """Six random digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def code_hash(code: str, salt: str) -> str:
    """The slow, salted hash a code is kept as (hex)."""
    return hashlib.scrypt(code.encode(), salt=bytes.fromhex(salt), n=_N, r=_R, p=_P, dklen=32).hex()


def matches(code: str, salt: str, digest: str) -> bool:
    return hmac.compare_digest(code_hash(code, salt), digest)


def normalise_phone_code(text: str) -> str | None:
    """The code as typed ("123 456"), or None if it cannot be one."""
    digits = "".join(ch for ch in text if ch not in " -")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def phone_key(key: bytes, phone: str) -> str:
    """A keyed hash of a normalised phone number: the limits count per number without
    keeping the number."""
    return hmac.new(key, b"warmline.phone.v1\x1f" + phone.encode(), hashlib.sha256).hexdigest()


def sms_text(code: str, branch_name: str) -> str:
    """The message sent: the code, where it is for, how long it works, never to share it."""
    return (
        f"{code} is your code to check in at {branch_name[:40]}. It works for {MINUTES} "
        "minutes. Nobody from the bank will ever ask you for it."
    )
