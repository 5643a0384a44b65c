"""Check-in codes: the QR code an app shows to check its customer in at a branch.

The customer is verified in the app (by fingerprint, say). The app's backend asks for a
check-in code for that verification and the branch they are going to, and shows it as a
QR code with the same code written under it. At the kiosk the customer scans it (or
types it): they are checked in, and the verification travels with them to the counter,
as a continuation code carries it to a call.

A code is 16 characters of Crockford's base32 (no I, L, O or U to misread), in four
groups: ``K7QM-2XHD-9WPA-RT4C``. It holds two halves of 40 bits each:

* the **id**, random, which names the issued code in the database (what it carries,
  for whom, for which branch, until when, whether it was used);
* the **signature**, the first 40 bits of HMAC-SHA256 under the server's signing key
  over the id, the customer, the branch and the expiry. Only the id is stored: a copy
  of the database gives no working code, and a code whose characters were changed (or
  whose id names another customer's code) does not verify.

So a forged code is right with probability 2**-40 per try, a code works once, for
``DEFAULT_MINUTES`` = 10 minutes, at the branch it was issued for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

ID_BYTES = 5
MAC_BYTES = 5
DEFAULT_MINUTES = 10
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Characters people and scanners confuse, read as what was meant.
_READ_AS = {"I": "1", "L": "1", "O": "0", "U": "V"}
_VERSION = b"warmline.checkin.v1"


def new_code_id() -> bytes:
    """A fresh random id (``ID_BYTES`` bytes)."""
    return secrets.token_bytes(ID_BYTES)


def signature(
    key: bytes, code_id: bytes, *, customer_id: str, branch: str, expires_at: dt.datetime
) -> bytes:
    """The code's signature: what makes it unforgeable without the key."""
    message = b"\x1f".join(
        (
            _VERSION,
            code_id,
            customer_id.encode(),
            branch.encode(),
            str(int(expires_at.timestamp())).encode(),
        )
    )
    return hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]


def format_code(code_id: bytes, mac: bytes) -> str:
    """The code as shown under the QR and encoded in it: ``K7QM-2XHD-9WPA-RT4C``."""
    number = int.from_bytes(code_id + mac, "big")
    chars = [ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(16))]
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def compact_base32(text: str, length: int) -> str | None:
    """Crockford base32 as typed or scanned: case, spaces and dashes ignored, I and L read
    as 1, O as 0; None unless it is ``length`` characters of the alphabet."""
    compact = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    compact = "".join(_READ_AS.get(ch, ch) for ch in compact)
    if len(compact) != length or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def parse_code(text: str) -> tuple[bytes, bytes] | None:
    """``(id, signature)`` of a scanned or typed code, or None when it cannot be a code."""
    compact = compact_base32(text, 16)
    if compact is None:
        return None
    number = 0
    for ch in compact:
        number = (number << 5) | ALPHABET.index(ch)
    raw = number.to_bytes(ID_BYTES + MAC_BYTES, "big")
    return raw[:ID_BYTES], raw[ID_BYTES:]


def verifies(
    key: bytes,
    code_id: bytes,
    mac: bytes,
    *,
    customer_id: str,
    branch: str,
    expires_at: dt.datetime,
) -> bool:
    """Whether ``mac`` is the signature of the code as issued (constant-time)."""
    expected = signature(
        key, code_id, customer_id=customer_id, branch=branch, expires_at=expires_at
    )
    return hmac.compare_digest(expected, mac)


def carried_by() -> str:
    """How a verification carried by a check-in code says how it travelled."""
    return "check-in code"
