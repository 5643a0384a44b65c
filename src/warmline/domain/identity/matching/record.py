"""The comparison-ready form of one person record.

Everything is normalised once, when a :class:`MatchRecord` is built, so that
comparing two records (done thousands of times per record) is only equality
tests and a few ``rapidfuzz`` calls. Names are folded to lower case without
accents, titles and suffixes dropped, "Last, First" understood; a lone name
("Okafor") is kept without guessing whether it is a first or a last name.
Nicknames come from the ``nicknames`` package (Apache-2.0, a hand-curated list
of English given names): each record keeps the formal names its first name may
stand for, so "Bob" and "Robert" meet on "robert".
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from nicknames import NickNamer, name_triplets
from rapidfuzz.distance import JaroWinkler

from warmline.domain.identity.identifiers import VALUE_CACHE, IdentifierError, normalise_identifier
from warmline.domain.identity.names import fold

#: Bump when the JSON shape changes; :func:`MatchRecord.from_json` refuses other versions
#: (a record stored by another version is rebuilt from its inputs when read).
JSON_VERSION = 2

_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev", "fr",
     "mstr", "master", "madam", "mme", "mlle", "herr", "frau"}
)  # fmt: skip
_SUFFIXES = frozenset(
    {"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "phd", "md", "esq", "obe",
     "mbe", "cbe"}
)  # fmt: skip
_WORD_SUFFIXES = frozenset({"junior", "senior"})
#: A generation's word anywhere in a name, not inside another word: a name without one
#: has no generation, and is not parsed again to find out.
_GENERATION_WORD = re.compile(
    r"(?<![^\W\d_])(jr|jnr|junior|sr|snr|senior|ii|iii|iv)(?![^\W\d_])", re.IGNORECASE
)
#: Suffixes that say which generation of a family a person is, in one spelling each.
GENERATIONS = {
    "jr": "jr", "jnr": "jr", "junior": "jr", "sr": "sr", "snr": "sr", "senior": "sr",
    "ii": "ii", "iii": "iii", "iv": "iv",
}  # fmt: skip
#: Surname particles kept with the surname: "van der Berg" is not "Berg".
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "st", "ter",
     "ten", "mac", "bin", "ibn"}
)  # fmt: skip
_NAME_JUNK = re.compile(r"[^\w\s,'-]")
_ADDRESS_JUNK = re.compile(r"[^\w\s,/-]")
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$")
_E164 = re.compile(r"^\+\d{6,15}$")
_T = TypeVar("_T", str, tuple[str, str])
#: (street number, street, locality, postcode), parts unknown as None.
Address = tuple[str | None, str | None, str | None, str | None]
_NOTHING_VERIFIED: frozenset[tuple[str, str]] = frozenset()

#: Street-type words and their abbreviations; the street name ends at the first of them.
_STREET_TYPES = {
    "street": "street", "st": "street", "str": "street", "road": "road", "rd": "road",
    "avenue": "avenue", "ave": "avenue", "av": "avenue", "crescent": "crescent",
    "cres": "crescent", "cr": "crescent", "court": "court", "ct": "court", "place": "place",
    "pl": "place", "drive": "drive", "dr": "drive", "lane": "lane", "ln": "lane",
    "close": "close", "cl": "close", "terrace": "terrace", "tce": "terrace", "ter": "terrace",
    "highway": "highway", "hwy": "highway", "parade": "parade", "pde": "parade",
    "circuit": "circuit", "cct": "circuit", "square": "square", "sq": "square",
    "boulevard": "boulevard", "blvd": "boulevard", "way": "way", "grove": "grove",
    "gr": "grove", "gardens": "gardens", "gdns": "gardens", "cove": "cove", "row": "row",
    "walk": "walk", "mews": "mews", "hill": "hill", "park": "park", "rise": "rise",
    "view": "view", "esplanade": "esplanade", "esp": "esplanade",
}  # fmt: skip


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    return frozenset(name for triplet in name_triplets() for name in (triplet.name1, triplet.name2))


def is_given_name(name: str) -> bool:
    """Whether ``name`` is in the ``nicknames`` list of English given names and nicknames."""
    return name in _given_names()


@lru_cache(maxsize=VALUE_CACHE)
def is_formal_name(name: str) -> bool:
    """Whether ``name`` is a formal given name with nicknames of its own (Robert, William),
    not a nickname (Bob, Johnny): two formal names sharing a nickname ("Bill" for Robert
    and for William) are two names, not one."""
    return len(_nicknamer().nicknames_of(name)) >= 2


@lru_cache(maxsize=VALUE_CACHE)
def name_forms(name: str) -> frozenset[str]:
    """``name`` and the formal names it may be a nickname of ("bob" -> bob, robert, ...).

    Two first names are nickname-equivalent when their forms intersect. Cached, so
    records with the same first name share one set.
    """
    return frozenset(_nicknamer().canonicals_of(name)) | {name}


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One person record in comparison-ready form: normalised once, compared many times.

    Strings are folded to lower case without accents; ``None`` means unknown.
    ``first_name`` is None for a lone name, which is then in ``last_name`` with
    ``lone_name`` set: comparing tries it against both names of the other record.
    """

    first_name: str | None = None
    last_name: str | None = None
    lone_name: bool = False
    preferred_name: str | None = None
    #: ISO date (YYYY-MM-DD).
    date_of_birth: str | None = None
    street_number: str | None = None
    #: Street name with its type word expanded ("tullaroop street").
    street: str | None = None
    #: The rest of the address (building, area, town, state), space-separated tokens.
    locality: str | None = None
    #: Upper case, no spaces.
    postcode: str | None = None
    emails: tuple[str, ...] = ()
    #: E.164 strings.
    phones: tuple[str, ...] = ()
    national_ids: tuple[str, ...] = ()
    #: Any other identifiers as (kind, value): account numbers, customer numbers, ...
    identifiers: tuple[tuple[str, str], ...] = ()
    #: Identifiers (kind, value) a trusted source verified.
    verified: frozenset[tuple[str, str]] = frozenset()
    #: The generation suffix of the name, one spelling per generation ("jr", "sr", "iii"):
    #: John Smith Jr and John Smith Sr are two people.
    generation: str | None = None
    #: Surnames the person went by before (a maiden name), matched like the surname.
    former_last_names: tuple[str, ...] = ()
    #: First names other events gave for this record ("Daniel", now "Dan").
    former_first_names: tuple[str, ...] = ()
    #: Addresses the person lived at before, each (number, street, locality, postcode),
    #: parts unknown as None: a record written before a move still matches.
    former_addresses: tuple[Address, ...] = ()
    #: Derived: the formal names the first (and preferred) name may stand for.
    first_forms: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        forms: frozenset[str] = frozenset()
        if self.first_name:
            forms = name_forms(self.first_name)
        if self.preferred_name:
            forms = forms | name_forms(self.preferred_name)
        for former in self.former_first_names:
            forms = forms | name_forms(former)
        object.__setattr__(self, "first_forms", forms)

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-able dict (only known values), for storing one record per customer."""
        data: dict[str, Any] = {"v": JSON_VERSION}
        for key in _SCALAR_FIELDS:
            value = getattr(self, key)
            if value:
                data[key] = value
        for key in ("emails", "phones", "national_ids"):
            if values := getattr(self, key):
                data[key] = list(values)
        if self.identifiers:
            data["identifiers"] = [list(pair) for pair in self.identifiers]
        if self.verified:
            data["verified"] = sorted([kind, value] for kind, value in self.verified)
        if self.former_last_names:
            data["former_last_names"] = list(self.former_last_names)
        if self.former_first_names:
            data["former_first_names"] = list(self.former_first_names)
        if self.former_addresses:
            data["former_addresses"] = [list(address) for address in self.former_addresses]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MatchRecord:
        """Rebuild a record from :meth:`to_json` output; ValueError on another version."""
        if data.get("v") != JSON_VERSION:
            raise ValueError(
                f"match record JSON version {data.get('v')!r} is not {JSON_VERSION}: "
                "rebuild the record from the customer's traits and identifiers"
            )
        return cls(
            **{key: data[key] for key in _SCALAR_FIELDS if key in data},
            emails=tuple(data.get("emails", ())),
            phones=tuple(data.get("phones", ())),
            national_ids=tuple(data.get("national_ids", ())),
            identifiers=tuple((str(k), str(v)) for k, v in data.get("identifiers", ())),
            verified=frozenset((str(k), str(v)) for k, v in data.get("verified", ())),
            former_last_names=tuple(data.get("former_last_names", ())),
            former_first_names=tuple(data.get("former_first_names", ())),
            former_addresses=tuple(
                (number, street, locality, postcode)
                for number, street, locality, postcode in data.get("former_addresses", ())
            ),
        )


_SCALAR_FIELDS = (
    "first_name", "last_name", "lone_name", "preferred_name", "date_of_birth",
    "street_number", "street", "locality", "postcode", "generation",
)  # fmt: skip


def record_from(
    traits: Mapping[str, Any], identifiers: Iterable[tuple[str, str, bool]] = ()
) -> MatchRecord:
    """Build the comparison-ready record of a person from plain traits and identifiers.

    ``traits`` uses the ingest contract's names (``name``, ``preferred_name``,
    ``date_of_birth`` as an ISO string or a date, ``address``, ``postcode``, and what the
    person went by before: ``former_name``, ``former_address``, ``former_postcode``, each
    one value or a list); other traits are ignored. ``identifiers`` are ``(kind, value, verified)``;
    values are normalised like ingest does, and ones that do not normalise are
    left out (ingest has already refused them).
    """
    name = _text(traits.get("name"))
    first, last, lone = parse_name(name)
    preferred = _text(traits.get("preferred_name"))
    preferred_tokens = _name_tokens(preferred) if preferred else []
    number, street, locality = parse_address(_text(traits.get("address")))
    emails: list[str] = []
    phones: list[str] = []
    national_ids: list[str] = []
    others: list[tuple[str, str]] = []
    verified: list[tuple[str, str]] = []
    for kind, raw, is_verified in identifiers:
        value = _normalised(kind, raw)
        if value is None:
            continue
        if kind == "email":
            emails.append(value)
        elif kind == "phone":
            phones.append(value)
        elif kind == "national_id":
            national_ids.append(value)
        else:
            others.append((kind, value))
        if is_verified:
            verified.append((kind, value))
    dob = parse_date(traits.get("date_of_birth"))
    postcode = normalise_postcode(_text(traits.get("postcode")))
    former_name = traits.get("former_name")
    former_address, former_postcode = traits.get("former_address"), traits.get("former_postcode")
    return MatchRecord(
        first_name=_shared(first),
        last_name=_shared(last),
        lone_name=lone,
        preferred_name=preferred_tokens[0] if preferred_tokens else None,
        date_of_birth=_shared(dob),
        street_number=_shared(number),
        street=_shared(street),
        locality=_shared(locality),
        postcode=_shared(postcode),
        emails=_distinct(emails),
        phones=_distinct(phones),
        national_ids=_distinct(national_ids),
        identifiers=_distinct(others),
        verified=frozenset(verified) if verified else _NOTHING_VERIFIED,
        generation=name_generation(name),
        former_last_names=_former_names(former_name, first, last, 1) if former_name else (),
        former_first_names=_former_names(former_name, first, last, 0) if former_name else (),
        former_addresses=_former_addresses(former_address, former_postcode, (number, postcode))
        if former_address or former_postcode
        else (),
    )


def _values(value: object) -> list[str]:
    """A trait given as one value or a list of them, as texts."""
    values = value if isinstance(value, list | tuple) else [value]
    return [text for v in values if (text := _text(v))]


def _former_names(names: object, first: str | None, last: str | None, part: int) -> tuple[str, ...]:
    """Of former names, the first names (``part`` 0) given with the current surname ("Dan
    Riley" for Daniel Riley), or the surnames (1) given with the current first name (a
    maiden name); either may be spelt a little differently now (a typo in the name
    written last). The current name written the other way round ("Hall Samantha" after
    "Samantha Hall") keeps both readings: its first name is a former first name, its
    surname a former surname. Someone else's name is neither."""
    found: set[str] = set()
    for name in _values(names):
        former_first, former_last, lone = parse_name(name)
        if lone or not former_first or not former_last:
            continue
        if first and last and _alike(former_first, last) and _alike(former_last, first):
            found.add(former_first if part == 0 else former_last)
            continue
        if part == 0 and former_first != first and _alike(former_last, last):
            found.add(former_first)
        if (
            part == 1
            and former_last != last
            and (_alike(former_first, first) or former_first in name_forms(first or ""))
        ):
            found.add(former_last)
    found.discard((first, last)[part] or "")
    return tuple(sorted(_shared(value) or value for value in found))


def _alike(x: str, y: str | None) -> bool:
    """One name, or two spellings of it a typo apart (Jaro-Winkler at least 0.92)."""
    return y is not None and (x == y or JaroWinkler.normalized_similarity(x, y) >= 0.92)


def _former_addresses(
    addresses: object, postcodes: object, current: tuple[str | None, str | None]
) -> tuple[Address, ...]:
    """Former addresses, and former postcodes on their own; a former address given with one
    former postcode (the usual "previous address" form) is taken as one address."""
    texts, codes = _values(addresses), [normalise_postcode(p) for p in _values(postcodes)]
    found: list[Address] = []
    for text in texts:
        number, street, locality = parse_address(text)
        postcode = codes[0] if len(texts) == 1 and len(codes) == 1 else None
        found.append((number, street, locality, postcode))
    if not (len(texts) == 1 and len(codes) == 1):
        found += [(None, None, None, code) for code in codes if code]
    # What the record says now is not a former address of it.
    kept = {a for a in found if any(a) and (a[3] is None or a[3] != current[1])}
    return tuple(sorted(kept, key=lambda a: tuple(part or "" for part in a)))


def _distinct(values: list[_T]) -> tuple[_T, ...]:
    return tuple(sorted(set(values))) if len(values) > 1 else tuple(values)


def _shared(value: str | None) -> str | None:
    # Names, dates and postcodes repeat across a memory: one string object for each
    # value keeps a million records in a fraction of the memory.
    return None if value is None else sys.intern(value)


def parse_name(name: str | None) -> tuple[str | None, str | None, bool]:
    """``(first, last, lone)`` of a full name; a single word is ``(None, word, True)``.

    "Okafor, Miles" is last-comma-first. Titles (Mr, Dr, ...) and suffixes (Jr, III)
    are dropped, middle names ignored, surname particles kept ("van der berg").
    """
    if not name:
        return None, None, False
    if "," in name:
        last_part, _, first_part = name.partition(",")
        if _name_tokens(first_part):  # not "John Smith, Jr.": a suffix alone is no first name
            name = f"{first_part} {last_part}"
    tokens = _name_tokens(name)
    if not tokens:
        return None, None, False
    if len(tokens) == 1:
        return None, tokens[0], True
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in _PARTICLES:
        start -= 1
    return tokens[0], " ".join(tokens[start:]), False


def name_generation(name: str | None) -> str | None:
    """The generation suffix of a full name ("John Smith Jr." -> "jr", "Smith, John III"
    -> "iii"), one spelling per generation; None if it has none."""
    if not name or not _GENERATION_WORD.search(name):
        return None
    found = None
    words = _raw_words(name)
    while words and _is_suffix(words):
        found = GENERATIONS.get(words.pop().rstrip("."), found)
    return found


def _is_suffix(words: list[str]) -> bool:
    """Whether the last of ``words`` is a suffix: "Senior" and "Junior" are surnames too
    (John Senior), so only after two other words."""
    last = words[-1].rstrip(".")
    return last in _SUFFIXES and (last not in _WORD_SUFFIXES or len(words) > 2)


def _raw_words(text: str) -> list[str]:
    words = _NAME_JUNK.sub(" ", _fold(text)).replace(",", " ").replace("'", "").split()
    return [w for w in (w.strip("-") for w in words) if w]


def _name_tokens(text: str) -> list[str]:
    words = _raw_words(text)
    while words and words[0].rstrip(".") in _TITLES:
        words.pop(0)
    while words and _is_suffix(words):
        words.pop()
    return words


def parse_date(value: object) -> str | None:
    """An ISO date string from a date, an ISO string or YYYYMMDD; None if it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _text(value)
    return _iso_date(text) if text else None


@lru_cache(maxsize=65536)
def _iso_date(text: str) -> str | None:
    # Cached: birth dates repeat (a few tens of thousands of days cover everyone).
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def parse_address(address: str | None) -> tuple[str | None, str | None, str | None]:
    """``(street number, street name, locality)`` of a free-text address.

    The street number is the first house-number-like word ("10", "10a"); the street
    name runs from after it to the first street-type word ("road", "st" expanded),
    or to the end of its comma-separated part; everything else is the locality.
    """
    if not address:
        return None, None, None
    text = _ADDRESS_JUNK.sub(" ", _fold(address))
    if "/" in text or "-" in text:  # "2/98" stays a word; a lone dash does not
        parts = [[w for w in (t.strip("/-") for t in p.split()) if w] for p in text.split(",")]
    else:
        parts = [p.split() for p in text.split(",")]
    number: str | None = None
    street: list[str] = []
    for index, part in enumerate(parts):
        for at in range(len(part) - 1):  # a number followed by at least one word
            if part[at][0].isdigit() and _HOUSE_NUMBER.match(part[at]):
                number, rest = part[at], part[at + 1 :]
                end = len(rest)
                for i in range(1, len(rest)):
                    if rest[i] in _STREET_TYPES:
                        end = i + 1
                        break
                street = rest[:end]
                parts[index] = part[:at] + rest[end:]
                break
        if number is not None:
            break
    if street:
        street[-1] = _STREET_TYPES.get(street[-1], street[-1])
    locality = " ".join(["saint" if tok == "st" else tok for part in parts for tok in part])
    return number, " ".join(street) or None, locality or None


def normalise_postcode(postcode: str | None) -> str | None:
    """Upper case without spaces or punctuation; None if nothing is left."""
    if not postcode:
        return None
    if postcode.isalnum():  # the usual case: nothing to take out
        return postcode.upper()
    compact = "".join(ch for ch in postcode.upper() if ch.isalnum())
    return compact or None


def _fold(text: str) -> str:
    # Most names and addresses are ASCII: lower-casing is all folding does to them.
    return text.lower() if text.isascii() else fold(text)


def _normalised(kind: str, value: str) -> str | None:
    if kind == "phone" and _E164.match(value):
        return value
    try:
        return normalise_identifier(kind, value)
    except IdentifierError:
        return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_names(record: MatchRecord, surnames: Collection[str]) -> tuple[str | None, str | None]:
    """(given name, surname) of a record, read the other way round when it was written so:
    its first word is a surname other records of the same people give ("Reynolds James"
    beside "James Reynolds" and "William Reynolds" is James)."""
    first, last = record.first_name, record.last_name
    if first and last and not record.lone_name and first in surnames and last not in surnames:
        return last, first
    return first, last


def surnames_of(records: Iterable[MatchRecord], but: MatchRecord | None = None) -> set[str]:
    """The surnames ``records`` give, but ``but``'s own."""
    return {r.last_name for r in records if r is not but and r.last_name and not r.lone_name}


def person_record(around: MatchRecord, others: Iterable[MatchRecord]) -> MatchRecord:
    """``around`` with what the other records of its customer know besides: their names as
    names the person went by, their addresses as addresses the person gave, their birth
    date where ``around`` has none, their identifiers. What a new record is scored against
    when it matches the person but no one record of theirs well enough (a chat giving the
    name as the email record wrote it and the postcode the branch record holds)."""
    others = [r for r in others if r is not around]
    if not others:
        return around
    read = {id(r): read_names(r, surnames_of([around, *others], but=r)) for r in others}
    firsts = {n for r in others for n in (read[id(r)][0], *r.former_first_names) if n}
    lasts = {n for r in others if not r.lone_name for n in (read[id(r)][1], *r.former_last_names)}
    addresses = {
        a
        for r in others
        for a in ((r.street_number, r.street, r.locality, r.postcode), *r.former_addresses)
        if any(a)
    }
    mine = (around.street_number, around.street, around.locality, around.postcode)
    born = around.date_of_birth or next((r.date_of_birth for r in others if r.date_of_birth), None)
    lasts = (lasts | set(around.former_last_names)) - {around.last_name, None}
    firsts = (firsts | set(around.former_first_names)) - {around.first_name}
    addresses = (addresses | set(around.former_addresses)) - {mine}
    return MatchRecord(
        first_name=around.first_name,
        last_name=around.last_name,
        lone_name=around.lone_name,
        preferred_name=around.preferred_name,
        date_of_birth=born,
        street_number=around.street_number,
        street=around.street,
        locality=around.locality,
        postcode=around.postcode,
        emails=_distinct([*around.emails, *(e for r in others for e in r.emails)]),
        phones=_distinct([*around.phones, *(p for r in others for p in r.phones)]),
        national_ids=_distinct(
            [*around.national_ids, *(n for r in others for n in r.national_ids)]
        ),
        identifiers=_distinct([*around.identifiers, *(i for r in others for i in r.identifiers)]),
        verified=around.verified.union(*(r.verified for r in others)),
        generation=around.generation or next((r.generation for r in others if r.generation), None),
        former_last_names=tuple(sorted(n for n in lasts if n)),
        former_first_names=tuple(sorted(firsts)),
        former_addresses=tuple(sorted(addresses, key=lambda a: tuple(p or "" for p in a))),
    )
