"""Continuation codes: a verification that travels from one channel to the next contact.

A customer verified in the app (say, by fingerprint at 10:02) phones at 10:06. The
app's backend asked Warmline for a continuation code for that verification and showed
it; the customer keys it into the IVR or reads it to the agent, and the call inherits
"verified in the app at 10:02 (strong)". A caller's number alone never does that: it
can be spoofed, so it may suggest who is calling, never prove it.

The rules, and why a brute-force loop is stopped long before it can succeed:

* A code is ``CODE_DIGITS`` = 8 random digits (keyable on a phone keypad): a guess
  is right with probability ``live / 10**8``, where ``live`` is the number of unused,
  unexpired codes it could match.
* A code is bound to one customer: it is accepted only on a contact already resolved
  to that customer (so an attacker must also pass as that customer, e.g. spoof their
  number), works once, and expires ``DEFAULT_MINUTES`` = 10 minutes after issue (or
  when the verification it carries expires, if sooner).
* At most ``ISSUE_LIMIT`` = 3 codes are issued per customer per hour, so at most 3 of
  a customer's codes are ever live at once.
* ``CUSTOMER_FAILURES`` = 5 wrong codes presented on contacts for one customer within
  ``FAILURE_WINDOW`` burn every live code of that customer. A targeted attacker
  therefore gets at most 5 guesses per code issued, each right with probability at
  most 3 / 10**8: success before the burn is at most 5 x 3 / 10**8 = 1.5e-7
  (:func:`targeted_success_bound`). Even if the app issued the maximum of 3 codes
  every hour for a year, that is at most 24 x 365 x 1.5e-7 = 0.0013.
* ``SOURCE_FAILURES`` = 10 failed presentations from one source (an API key at one
  address) within ``FAILURE_WINDOW`` refuse that source's presentations (429) until
  the window has passed: at most 1,440 guesses a day per source, whoever they target.
* A right code read out on a contact for a different customer is refused and burnt:
  it has leaked.

Codes are stored only as a slow hash (scrypt, ~40 ms each: every guess at a stolen
table costs the same 40 ms, so the 10**8 codes take 46 CPU-days, far beyond a code's
10 minutes). The hash needs no per-row salt because a presented code must be found
among all customers' codes (to tell "for a different customer" from "wrong").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

CODE_DIGITS = 8
CODE_SPACE = 10**CODE_DIGITS
DEFAULT_MINUTES = 10
ISSUE_LIMIT = 3
ISSUE_WINDOW = dt.timedelta(hours=1)
CUSTOMER_FAILURES = 5
SOURCE_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=10)
#: The event source of verifications Warmline records when a code is redeemed.
CONTINUATION_SOURCE = "warmline.continuations"

# scrypt parameters: 16 MiB of memory and ~40 ms of one core per hash on a 2020s server.
_SALT = b"warmline.continuation.v1"
_N, _R, _P = 2**14, 8, 1


def new_code() -> str:
    """A fresh random code of ``CODE_DIGITS`` digits (leading zeros kept)."""
    return f"{secrets.randbelow(CODE_SPACE):0{CODE_DIGITS}d}"


def normalise_code(text: str) -> str | None:
    """The code as keyed or read out ("1234 5678", "1234-5678"), or None if it cannot be one."""
    digits = "".join(ch for ch in text if ch not in " -.")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def code_hash(code: str) -> str:
    """The slow, deterministic hash a code is stored and looked up by (hex)."""
    return hashlib.scrypt(code.encode(), salt=_SALT, n=_N, r=_R, p=_P, dklen=32).hex()


def targeted_success_bound(
    guesses: int = CUSTOMER_FAILURES, live: int = ISSUE_LIMIT, space: int = CODE_SPACE
) -> float:
    """Upper bound on a targeted attacker's chance of hitting a live code before the
    customer's codes are burnt: each of ``guesses`` wrong codes can match one of ``live``."""
    return guesses * live / space


def code_expiry(
    issued_at: dt.datetime, assurance_expires_at: dt.datetime, minutes: int
) -> dt.datetime:
    """When a code stops working: ``minutes`` after issue, or when its verification expires."""
    return min(issued_at + dt.timedelta(minutes=minutes), assurance_expires_at)


def carried_method(method: str, by: str = "continuation code") -> str:
    """How an inherited verification names its method: 'app_biometric, by continuation code'
    (or by what else carried it: a branch check-in code)."""
    return f"{method}, by {by}"[:500]
