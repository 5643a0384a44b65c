"""A contact centre's memory: people leaving partial records on every channel, with the
traps of real data, for ``benchmarks/identity_contact_centre.py``.

Deterministic for a seed; names and places are made up here (the lists in
``synthetic_people.py``), nothing is downloaded. People live in households: a shared
address and surname, often a landline, sometimes a family email address; some households
have twins (one birthday, two first names) and some a father and son of one name (Jr and
Sr at one address, the suffix written only now and then). Over the years some people
marry (a new surname; records from before keep the old one, and a profile that knows it
keeps the maiden name as ``former_name``) and some move (a new address and postcode;
records from before keep the old one, and a profile may say ``former_address``).

Each person leaves records, one event each, on the channels a contact centre has, each
shaped the way that channel knows people:

* **app**: the registered profile: name, date of birth, address, postcode, email, mobile;
* **chat**: name and email, as typed into the chat form, often a phone, sometimes the
  answers to security questions (birth date, postcode);
* **voice**: the caller's number, mostly the name as said and the security answers;
* **email**: the sender's address, the name and sometimes the number in the signature;
* **branch**: name, date of birth, postcode (often the address), often a phone or email.

Every record carries its own external id (``record_ref``), which the benchmark looks
each record up by; it is never shared, so it says nothing about who is who.

Noise, per record: nicknames (Robert as Bob), typos, first and last names swapped,
initials, phone numbers written every way people write them (``+44 7700 900123``,
``07700900123``, ``(0113) 496 0000``), and for some people a mobile in a range
``phonenumbers`` calls invalid (not yet allocated, or kept for drama): a real number,
given all the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from synthetic_people import _NICKNAMES, FIRST_NAMES, LAST_NAMES, STREETS, TOWNS

EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com", "btinternet.com")
CHANNELS = ("app", "chat", "voice", "email", "branch")
#: How often each channel leaves a record (app at most once a person: the profile).
CHANNEL_WEIGHTS = (0.22, 0.22, 0.24, 0.12, 0.20)
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
DAYS = 3 * 365


@dataclass
class Address:
    number: int
    street: str
    town: str
    postcode: str

    def text(self) -> str:
        return f"{self.number} {self.street.title()}, {self.town.title()}"


@dataclass
class Person:
    """One real person: who they are, and how that changed over the years."""

    person_id: str
    household: str
    first: str
    last: str
    dob: str
    #: The household role that makes them a trap: "twin", "senior", "junior", or "".
    role: str = ""
    generation: str | None = None
    email: str | None = None
    mobile: str | None = None
    landline: str | None = None
    family_email: str | None = None
    #: (day, surname before) when they married and took another surname.
    maiden: tuple[int, str] | None = None
    #: Addresses with the day each began, oldest first.
    addresses: list[tuple[int, Address]] = field(default_factory=list)

    def surname_on(self, day: int) -> str:
        if self.maiden is not None and day < self.maiden[0]:
            return self.maiden[1]
        return self.last

    def address_on(self, day: int) -> Address:
        current = self.addresses[0][1]
        for since, address in self.addresses:
            if since <= day:
                current = address
        return current

    def former_address(self, day: int) -> Address | None:
        before = [a for since, a in self.addresses if since <= day]
        return before[-2] if len(before) > 1 else None


@dataclass
class Record:
    """One record as a channel sends it, with the truth: who it really is."""

    ref: str
    channel: str
    day: int
    person_id: str
    traits: dict[str, Any]
    identifiers: list[tuple[str, str]]

    def event(self) -> dict[str, Any]:
        time = START + dt.timedelta(days=self.day, seconds=int(self.ref.split("-")[-1]) % 86_400)
        identifiers = [{"kind": "record_ref", "value": self.ref}]
        identifiers += [{"kind": kind, "value": value} for kind, value in self.identifiers]
        customer: dict[str, Any] = {"identifiers": identifiers}
        if self.traits:
            customer["traits"] = self.traits
        return {
            "specversion": "1.0",
            "id": self.ref,
            "source": self.channel,
            "type": "customer.identified",
            "time": time.isoformat().replace("+00:00", "Z"),
            "data": {"customer": customer},
        }


@dataclass
class Memory:
    people: dict[str, Person]
    records: list[Record]

    def truth(self) -> dict[str, str]:
        """Record ref -> person id."""
        return {r.ref: r.person_id for r in self.records}


class ContactCentre:
    """The generator. ``generate(5000)`` gives about 14,000 records."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._ids = itertools.count()
        self._first_weights = [1 / (rank + 5) for rank in range(len(FIRST_NAMES))]
        self._household_firsts: dict[str, set[str]] = {}
        #: Addresses given out: a mailbox is one person's (or one household's), never two
        #: strangers' (common names would otherwise meet at ``first.last42``).
        self._emails: set[str] = set()
        drama = list(range(900000, 901000))
        self.rng.shuffle(drama)
        self._drama = iter(drama)
        self._last_weights = [1 / (rank + 3) for rank in range(len(LAST_NAMES))]

    def generate(self, people: int) -> Memory:
        everyone: dict[str, Person] = {}
        while len(everyone) < people:
            for person in self._household():
                if len(everyone) < people:
                    everyone[person.person_id] = person
        records = [r for person in everyone.values() for r in self._records(person)]
        records.sort(key=lambda r: (r.day, r.ref))
        return Memory(everyone, records)

    # --- people ------------------------------------------------------------------------

    def _household(self) -> list[Person]:
        rng = self.rng
        house = f"h{next(self._ids):06d}"
        last = rng.choices(LAST_NAMES, self._last_weights)[0]
        address = self._address()
        landline = self._landline() if rng.random() < 0.4 else None
        size = rng.choices((1, 2, 3, 4), (35, 35, 18, 12))[0]
        adult_year = rng.randint(1940, 1995)
        people = [self._person(house, last, self._dob(adult_year), address, landline)]
        if size >= 2:  # a partner, sometimes with a surname of their own
            partner_last = last if rng.random() < 0.7 else self._last()
            people.append(
                self._person(house, partner_last, self._dob(adult_year + rng.randint(-4, 4)),
                             address, landline)
            )  # fmt: skip
        children = size - len(people)
        if children:
            born = adult_year + rng.randint(22, 36)
            kind = rng.choices(("twins", "junior", "plain"), (0.12, 0.12, 0.76))[0]
            if born > 2006:
                kind, born = "plain", 2006
            if kind == "twins" and children >= 2:
                dob = self._dob(born)
                for _ in range(2):
                    twin = self._person(house, last, dob, address, landline, role="twin")
                    people.append(twin)
                children -= 2
            elif kind == "junior":
                father = people[0]
                junior = self._person(house, last, self._dob(born), address, landline)
                junior.first, junior.role, junior.generation = father.first, "junior", "jr"
                father.role, father.generation = "senior", "sr"
                people.append(junior)
                children -= 1
            for _ in range(children):
                people.append(self._person(house, last, self._dob(born + rng.randint(0, 6)),
                                           address, landline))  # fmt: skip
        self._family_email(people)
        for person in people:
            self._life_events(person)
        return people

    def _person(
        self, house: str, last: str, dob: str, address: Address, landline: str | None,
        role: str = "",
    ) -> Person:  # fmt: skip
        rng = self.rng
        n = next(self._ids)
        taken = self._household_firsts.setdefault(house, set())
        first = rng.choices(FIRST_NAMES, self._first_weights)[0]
        while first in taken:  # no two children of one house share a first name
            first = rng.choices(FIRST_NAMES, self._first_weights)[0]
        taken.add(first)
        person = Person(f"p{n:06d}", house, first, last, dob, role, landline=landline)
        if rng.random() < 0.92:
            person.email = self._new_email(f"{first}.{last}")
        if rng.random() < 0.95:
            person.mobile = self._mobile()
        person.addresses = [(0, address)]
        return person

    def _family_email(self, people: list[Person]) -> None:
        adults = [p for p in people if int(p.dob[:4]) <= 2000]
        if len(adults) >= 2 and self.rng.random() < 0.2:
            shared = self._new_email(f"the.{adults[0].last}s")
            for person in adults[:2]:
                person.family_email = shared

    def _life_events(self, person: Person) -> None:
        rng = self.rng
        if rng.random() < 0.08 and int(person.dob[:4]) < 1998:  # marries, takes a new surname
            person.maiden = (rng.randrange(60, DAYS - 60), person.last)
            person.last = self._last()
        if rng.random() < 0.15:  # moves
            person.addresses.append((rng.randrange(60, DAYS - 60), self._address()))

    def _last(self) -> str:
        return self.rng.choices(LAST_NAMES, self._last_weights)[0]

    def _dob(self, year: int) -> str:
        rng = self.rng
        return f"{min(year, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def _address(self) -> Address:
        rng = self.rng
        town_index = rng.randrange(len(TOWNS))
        street_index = rng.randrange(len(STREETS))
        number = rng.randint(1, 200)
        area = "".join(chr(65 + (town_index * 7 + i) % 26) for i in range(2))
        district = 1 + (street_index * 31 + town_index) % 40
        unit = street_index * 20 + number // 15
        postcode = f"{area}{district} {unit % 10}{chr(65 + unit // 10 % 26)}{chr(65 + unit % 26)}"
        return Address(number, STREETS[street_index], TOWNS[town_index], postcode)

    def _new_email(self, local: str) -> str:
        """An address nobody else has: ``local``, two digits, a domain (more if taken)."""
        rng, digits = self.rng, 100
        while True:
            email = f"{local}{rng.randrange(digits)}@{rng.choice(EMAIL_DOMAINS)}"
            if email not in self._emails:
                self._emails.add(email)
                return email
            digits *= 2

    def _mobile(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:  # a range phonenumbers calls invalid: given all the same
            drama = next(self._drama, None) if rng.random() < 0.2 else None
            if drama is not None:  # 07700 900xxx, kept for drama: a thousand numbers
                return f"+447700{drama}"
            prefix = rng.choice(("603", "612", "630", "650", "671"))  # not allocated yet
            return f"+447{prefix}{rng.randrange(10**6):06d}"
        return f"+447{rng.choice('5789')}{rng.randrange(10**8):08d}"

    def _landline(self) -> str:
        rng = self.rng
        area = rng.choice(("113", "161", "117", "121", "1632"))
        digits = 10 - len(area)
        return f"+44{area}{rng.randrange(10 ** (digits - 1), 10**digits)}"

    # --- records -----------------------------------------------------------------------

    def _records(self, person: Person) -> list[Record]:
        rng = self.rng
        count = 1 + min(self._poisson(1.8), 6)
        channels = []
        for _ in range(count):
            channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            if channel == "app" and "app" in channels:
                channel = rng.choice(CHANNELS[1:])
            channels.append(channel)
        return [self._record(person, channel, rng.randrange(DAYS)) for channel in channels]

    def _poisson(self, mean: float) -> int:
        rng, k, p, limit = self.rng, 0, 1.0, pow(2.718281828, -mean)
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    def _record(self, person: Person, channel: str, day: int) -> Record:
        rng = self.rng
        ref = f"{channel}-{next(self._ids):07d}"
        traits: dict[str, Any] = {}
        ids: list[tuple[str, str]] = []
        phones = [p for p in (person.mobile, person.landline) if p]
        email = person.email or person.family_email
        if person.family_email and rng.random() < 0.15:
            email = person.family_email
        if channel == "app":
            traits = self._who(person, day, dob=0.9, address=0.95, postcode=0.95)
            if email and rng.random() < 0.95:
                ids.append(("email", self._email_as_written(email)))
            if person.mobile and rng.random() < 0.9:
                ids.append(("phone", self._phone_as_written(person.mobile)))
            if person.maiden and day >= person.maiden[0] and rng.random() < 0.7:
                traits["former_name"] = f"{person.first.title()} {person.maiden[1].title()}"
            former = person.former_address(day)
            if former is not None and rng.random() < 0.5:
                traits["former_address"] = former.text()
                traits["former_postcode"] = former.postcode
        elif channel == "chat":  # the chat form: a name and an email; often a number, and
            # the security questions when the chat is about an account
            traits = self._who(person, day, dob=0.3, address=0.0, postcode=0.3, name=0.95)
            if email and rng.random() < 0.95:
                ids.append(("email", self._email_as_written(email)))
            if phones and rng.random() < 0.6:
                ids.append(("phone", self._phone_as_written(phones[0])))
        elif channel == "voice":  # the caller's number; the name and security answers said
            if phones:
                mobile_first = person.mobile and (not person.landline or rng.random() < 0.85)
                ids.append(("phone", self._phone_as_written(person.mobile if mobile_first
                                                             else phones[-1])))  # fmt: skip
            traits = self._who(person, day, dob=0.8, address=0.0, postcode=0.8, name=0.9)
            if (not ids or rng.random() < 0.2) and email:
                ids.append(("email", self._email_as_written(email)))
        elif channel == "email":  # the sender, the name and number in the signature
            if email:
                ids.append(("email", self._email_as_written(email)))
            traits = self._who(person, day, dob=0.0, address=0.0, postcode=0.0, name=0.9)
            if phones and rng.random() < 0.4:
                ids.append(("phone", self._phone_as_written(phones[0])))
        else:  # branch: the form filled in at the counter
            traits = self._who(person, day, dob=0.95, address=0.8, postcode=0.95)
            if phones and rng.random() < 0.7:
                ids.append(("phone", self._phone_as_written(phones[0])))
            if email and rng.random() < 0.6:
                ids.append(("email", self._email_as_written(email)))
        if not traits and not ids:  # a record must name someone: the name as said
            traits = self._who(person, day, dob=0.0, address=0.0, postcode=0.0)
        return Record(ref, channel, day, person.person_id, traits, ids)

    def _who(
        self, person: Person, day: int, *, dob: float, address: float, postcode: float,
        name: float = 1.0,
    ) -> dict[str, Any]:  # fmt: skip
        rng = self.rng
        traits: dict[str, Any] = {}
        if rng.random() < name:
            traits["name"] = self._name_as_written(person, day)
        if rng.random() < dob:
            traits["date_of_birth"] = self._dob_as_written(person.dob)
        home = person.address_on(day)
        if rng.random() < address:
            traits["address"] = home.text()
        if rng.random() < postcode:
            traits["postcode"] = home.postcode if rng.random() < 0.7 else home.postcode.lower()
        return traits

    def _name_as_written(self, person: Person, day: int) -> str:
        rng = self.rng
        first, last = person.first, person.surname_on(day)
        roll = rng.random()
        if roll < 0.10:
            first = _NICKNAMES.get(first, first)
        elif roll < 0.15:
            first = _typo(first, rng)
        elif roll < 0.20:
            last = _typo(last, rng)
        elif roll < 0.22:
            first, last = last, first
        elif roll < 0.25:
            first = first[0]
        name = f"{first.title()} {last.title()}"
        if person.generation and rng.random() < 0.35:
            name += " Jr" if person.generation == "jr" else rng.choice((" Sr", " Snr", " Senior"))
        return name

    def _dob_as_written(self, dob: str) -> str:
        rng = self.rng
        if rng.random() < 0.04:  # one digit of the day mistyped
            typo = dob[:-1] + str((int(dob[-1]) + rng.randint(1, 8)) % 10)
            return typo if typo[-2:] not in ("00", "29", "30", "31") else dob
        return dob

    def _phone_as_written(self, e164: str) -> str:
        rng = self.rng
        national = "0" + e164[3:]
        style = rng.randrange(5)
        if style == 0:
            return e164
        if style == 1:
            return national
        if style == 2:
            return f"{national[:5]} {national[5:]}"
        if style == 3:
            return f"+44 {e164[3:7]} {e164[7:]}"
        return f"({national[:4]}) {national[4:7]} {national[7:]}"

    def _email_as_written(self, email: str) -> str:
        return email.title() if self.rng.random() < 0.1 else email


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:at] + rng.choice("aeiourstln") + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def relation(a: Person, b: Person) -> str:
    """What two different people are to each other, for false merges by kind."""
    if a.household != b.household:
        return "strangers"
    roles = {a.role, b.role}
    if roles == {"twin"}:
        return "twins"
    if roles == {"senior", "junior"}:
        return "father and son (Jr/Sr)"
    return "household"


def sample(memory: Memory, limit: int = 5) -> Iterator[dict[str, Any]]:
    """A few events, to eyeball what the generator writes."""
    for record in memory.records[:limit]:
        yield record.event()
