"""Blocking keys: the few short strings a record is indexed by, to find its candidates.

Two records are compared only if they share a key, so keys pair up fields
(a name's sound with the date of birth, with the postcode; the date of birth
with the postcode; the house with the postcode) and the true match shares at
least one key as long as any two of those fields survived the noise. First and
last names use one namespace, so a record whose names were swapped still meets
its match. Names are coded with Soundex (``jellyfish``, MIT), which forgives
most misspellings after the first letter.

Keys are deterministic across processes, at most 16 per record, under 40
characters: a two-letter kind, a colon, and the values joined by "|"
("nd:H652|19800201", readable, so a supervisor can see why two records were
compared). Identifiers (emails, phones, national ids, ...) can be long and are
the most sensitive: their keys carry 16 hex digits of a BLAKE2b hash instead.

Capping: a key shared by very many records ("same name sound and postcode" in
a big town) finds nobody in particular. Look a key up with a limit of
``BLOCK_CAP + 1`` rows and ignore it if it returns more than :data:`BLOCK_CAP`.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b

import jellyfish

from warmline.domain.identity.identifiers import VALUE_CACHE
from warmline.domain.identity.matching.record import MatchRecord

MAX_KEYS = 16
#: Longest postcode and street number put in a key (keeps every key under 40 characters).
MAX_POSTCODE, MAX_NUMBER = 10, 8
#: Blocks larger than this are ignored when looking up candidates (see the module docstring).
BLOCK_CAP = 50


def blocking_keys(record: MatchRecord) -> list[str]:
    """The record's blocking keys: at most :data:`MAX_KEYS`, each under 40 characters."""
    codes = name_codes(record)
    dob = record.date_of_birth.replace("-", "") if record.date_of_birth else None
    postcode = record.postcode[:MAX_POSTCODE] if record.postcode else None
    number = record.street_number[:MAX_NUMBER] if record.street_number else None
    keys: list[str] = []
    if len(codes) == 2:
        first, last = sorted(codes)
        keys.append(f"nn:{first}|{last}")
        if first == last:  # "Lee Lee": one code, not the same keys twice
            codes = codes[:1]
    for code in codes:
        if dob:
            keys.append(f"nd:{code}|{dob}")
        if postcode:
            keys.append(f"np:{code}|{postcode}")
    if dob and postcode:
        keys.append(f"dp:{dob}|{postcode}")
    if postcode and number:
        keys.append(f"hn:{postcode}|{number}")
    if dob and number:
        keys.append(f"dn:{dob}|{number}")
    if record.national_ids or record.emails or record.phones or record.identifiers:
        hashed = [_hashed("id", value) for value in record.national_ids]
        hashed += [key for value in record.national_ids for key in transposition_keys(value)]
        hashed += [_hashed("em", value) for value in record.emails]
        hashed += [_hashed("ph", value) for value in record.phones]
        hashed += [_hashed("ot", f"{kind}|{value}") for kind, value in record.identifiers]
        keys += dict.fromkeys(hashed) if len(hashed) > 1 else hashed
    if record.former_last_names or record.former_addresses:
        keys += [k for k in _former_keys(record, codes, dob) if k not in keys]
    # No key twice: the name codes are distinct by now (above), and so are the
    # identifier keys, each kind under its own prefix.
    return keys[:MAX_KEYS]


def _former_keys(record: MatchRecord, codes: list[str], dob: str | None) -> list[str]:
    """Keys of what the person went by before: a maiden name with the first name and the
    birth date, a former postcode with the names, the birth date and the house."""
    keys: list[str] = []
    first = _soundex(record.first_name) if record.first_name and not record.lone_name else None
    for last in record.former_last_names:
        code = _soundex(last)
        if first:
            keys.append("nn:" + "|".join(sorted((first, code))))
        if dob:
            keys.append(f"nd:{code}|{dob}")
    for number, _, _, postcode in record.former_addresses:
        if not postcode:
            continue
        postcode = postcode[:MAX_POSTCODE]
        keys += [f"np:{code}|{postcode}" for code in codes]
        if dob:
            keys.append(f"dp:{dob}|{postcode}")
        if number:
            keys.append(f"hn:{postcode}|{number[:MAX_NUMBER]}")
    return list(dict.fromkeys(keys))


def name_codes(record: MatchRecord) -> list[str]:
    """Soundex codes of the record's first and last names (one code for a lone name)."""
    names = [record.last_name] if record.lone_name else [record.first_name, record.last_name]
    return [_soundex(name) for name in names if name]


#: Cached: names repeat across a memory far more than they vary.
_soundex = lru_cache(maxsize=VALUE_CACHE)(jellyfish.soundex)


def transposition_keys(national_id: str) -> list[str]:
    """Keys a national id shares with itself written with two neighbouring characters
    swapped, the commonest slip in typing one (scored "one typo apart"): its first half as
    written with the rest in sorted order, and its first half and one more character in
    sorted order with the rest as written. A swap inside the second half keeps the first
    key, any other swap the second. Sorting only a part keeps strangers apart: the whole id
    sorted is shared by every id with the same digits (seven digits make only 11,440 such
    sets), which doubled the candidates compared on FEBRL 4's 10,000 records. An id under
    four characters has one key, its characters sorted."""
    if len(national_id) < 4:
        return [_hashed("is", "".join(sorted(national_id)))]
    half = len(national_id) // 2
    return [
        _hashed("is", national_id[:half] + "|" + "".join(sorted(national_id[half:]))),
        _hashed("it", "".join(sorted(national_id[: half + 1])) + "|" + national_id[half + 1 :]),
    ]


def _hashed(kind: str, value: str) -> str:
    return f"{kind}:{blake2b(value.encode(), digest_size=8).hexdigest()}"
