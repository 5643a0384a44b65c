"""A synthetic customer memory with realistic noise, for the identity scale benchmark.

Deterministic for a seed. People get names drawn with Zipf-like frequencies
(so "John Smith" is common and blocks on names grow large), a date of birth,
a UK-style address and postcode (a postcode unit covers about fifteen houses
of one street), usually an email and a mobile, sometimes a national insurance
number. Households share an address, a surname and often a landline; some
hold twins (same birthday, different first names).

Queries are new records arriving at the memory, each with its truth:

* a returning customer, written with noise: typos, a nickname (Robert as
  Bob), first and last names swapped, a move (new address and postcode),
  missing fields, a typo in the date of birth, a new email;
* a relative of a customer: same surname, address and landline, a different
  first name (and, for a twin, the same birthday): must not link;
* a stranger: nobody in the memory.

Names and places are made up from common English-language name lists written
here by hand; nothing is downloaded.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_FIRST = """james john robert michael william david richard joseph thomas charles christopher
daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george
timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry
justin scott brandon benjamin samuel gregory alexander patrick frank raymond jack dennis
jerry tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan jeremy walter
christian keith roger terry austin sean gerald carl harold dylan arthur lawrence jordan
jesse bryan billy bruce gabriel joe logan albert willie alan eugene russell vincent
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
sandra margaret ashley kimberly emily donna michelle carol amanda melissa deborah
stephanie dorothy rebecca sharon laura cynthia amy kathleen angela shirley brenda emma
anna pamela nicole samantha katherine christine helen debra rachel carolyn janet maria
catherine heather diane olivia julie joyce victoria ruth virginia lauren kelly christina
joan evelyn judith andrea hannah megan cheryl jacqueline martha madison teresa gloria sara
janice ann kathryn abigail sophia frances jean alice judy isabella julia grace amber denise
danielle marilyn beverly charlotte natalie theresa diana brittany doris kayla alexis lori
priya aisha mohammed fatima ahmed omar amara chidi ngozi oluwaseun wei li mei hiroshi yuki
siobhan niamh ciaran declan aoife piotr agnieszka katarzyna tomasz miles ada zoe ravi"""
_LAST = """smith jones williams taylor brown davies evans wilson thomas johnson roberts
robinson thompson wright walker white edwards hughes green hall lewis harris clarke patel
jackson wood turner martin cooper hill ward morris moore clark lee king baker harrison
morgan allen james scott phillips watson davis parker price bennett young griffiths
mitchell kelly cook carter richardson bailey collins bell shaw murphy miller cox richards
khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell
webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes
knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham
pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds saunders
payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer gill dawson
ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes
hart hudson newman barrett webster hunter gregory carr lowe page marsh riley dunn woods
parsons berry stone reid holland hawkins harding porter robertson newton oliver reed
kennedy williamson bird gardner shah dean lane cooke bates henderson parry burgess bishop
walton burns nicholson shepherd ross cross long freeman warren nicholls hamilton byrne
sutton mcdonald yates hodgson robson curtis hopkins okafor nguyen kowalski nowak chen wang
zhang liu obi adeyemi mensah osei oconnor doherty mahmood iqbal rahman chowdhury"""
_STREETS = """acacia oak elm station church park mill high victoria albert queens kings
manor school chapel meadow orchard west north south east bridge green grove hill castle
forest lake river spring willow cedar beech birch ash rose ivy heather juniper laurel
maple poplar rowan holly hawthorn chestnut sycamore windsor york cambridge oxford
richmond clarence alexandra trafalgar nelson wellington marlborough devonshire"""
_STREET_TYPES = ("road", "street", "avenue", "lane", "close", "drive", "way", "crescent",
                 "gardens", "place", "court", "view")  # fmt: skip
_TOWNS = """leeds york hull bath derby leicester bristol reading oxford norwich exeter
chester durham lancaster preston bolton wigan stockport salford sheffield doncaster
wakefield halifax harrogate lincoln nottingham coventry worcester gloucester swindon
luton watford guildford brighton hastings canterbury dover ipswich colchester cambridge
peterborough northampton bedford milton swansea cardiff newport wrexham carlisle kendal"""
_EMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com", "btinternet.com")
#: Formal names and the nicknames a returning customer may give instead.
_NICKNAMES = {
    "robert": "bob", "william": "bill", "elizabeth": "liz", "margaret": "peggy",
    "richard": "dick", "james": "jim", "michael": "mike", "katherine": "kate",
    "christopher": "chris", "jennifer": "jenny", "thomas": "tom", "edward": "ted",
    "joseph": "joe", "patricia": "pat", "anthony": "tony", "daniel": "dan",
    "rebecca": "becky", "samantha": "sam", "alexander": "alex", "nicholas": "nick",
}  # fmt: skip

FIRST_NAMES = _FIRST.split()
LAST_NAMES = _LAST.split()
STREETS = [f"{stem} {kind}" for stem in _STREETS.split() for kind in _STREET_TYPES]
TOWNS = _TOWNS.split()


@dataclass(slots=True)
class Person:
    """One customer as the memory knows them: traits and identifiers."""

    person_id: str
    first: str
    last: str
    dob: str
    number: int
    street: str
    town: str
    postcode: str
    email: str | None
    mobile: str | None
    landline: str | None
    national_id: str | None

    def traits(self) -> dict[str, Any]:
        return {
            "name": f"{self.first.title()} {self.last.title()}",
            "date_of_birth": self.dob,
            "address": f"{self.number} {self.street.title()}, {self.town.title()}",
            "postcode": self.postcode,
        }

    def identifiers(self) -> list[tuple[str, str, bool]]:
        ids = [("email", self.email, False), ("phone", self.mobile, False)]
        ids += [("phone", self.landline, False), ("national_id", self.national_id, False)]
        return [(kind, value, verified) for kind, value, verified in ids if value]


@dataclass
class Query:
    """A new record arriving, and who it really is (None: nobody in the memory)."""

    kind: str
    traits: dict[str, Any]
    identifiers: list[tuple[str, str, bool]]
    truth: str | None


@dataclass
class Population:
    """The generator: people come out in households; queries refer back to them."""

    seed: int = 0
    people: list[Person] = field(default_factory=list)
    _rng: random.Random = field(init=False)
    _counter: Iterator[int] = field(init=False, default_factory=itertools.count)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._first_weights = [1 / (rank + 5) for rank in range(len(FIRST_NAMES))]
        self._last_weights = [1 / (rank + 3) for rank in range(len(LAST_NAMES))]

    def generate(self, count: int) -> Iterator[Person]:
        """``count`` people, household by household (one to five per address)."""
        made = 0
        while made < count:
            for person in self._household():
                if made == count:
                    break
                self.people.append(person)
                made += 1
                yield person

    def _household(self) -> list[Person]:
        rng = self._rng
        last = rng.choices(LAST_NAMES, self._last_weights)[0]
        number, street, town, postcode = self._address()
        landline = f"+44113{rng.randrange(10**7):07d}" if rng.random() < 0.3 else None
        size = rng.choices((1, 2, 3, 4, 5), (40, 30, 15, 10, 5))[0]
        first_dob = self._dob()
        people = []
        for member in range(size):
            twin = member == 1 and rng.random() < 0.05
            people.append(
                self._person(last, first_dob if twin or member == 0 else self._dob(),
                             number, street, town, postcode, landline)
            )  # fmt: skip
        return people

    def _person(
        self, last: str, dob: str, number: int, street: str, town: str, postcode: str,
        landline: str | None,
    ) -> Person:  # fmt: skip
        rng = self._rng
        n = next(self._counter)
        first = rng.choices(FIRST_NAMES, self._first_weights)[0]
        email = f"{first}.{last}{n}@{rng.choice(_EMAIL_DOMAINS)}" if rng.random() < 0.8 else None
        mobile = f"+447{700000000 + n:09d}" if rng.random() < 0.85 else None
        national_id = f"QQ{n:06d}{'ABCD'[n % 4]}" if rng.random() < 0.3 else None
        return Person(
            f"c{n:08d}", first, last, dob, number, street, town, postcode, email, mobile,
            landline, national_id,
        )  # fmt: skip

    def _dob(self) -> str:
        rng = self._rng
        return f"{rng.randint(1930, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def _address(self) -> tuple[int, str, str, str]:
        rng = self._rng
        town_index = rng.randrange(len(TOWNS))
        street_index = rng.randrange(len(STREETS))
        number = rng.randint(1, 300)
        # A postcode unit per town, street and block of fifteen houses.
        area = "".join(chr(65 + (town_index * 7 + i) % 26) for i in range(2))
        district = 1 + (street_index * 31 + town_index) % 40
        unit = street_index * 20 + number // 15
        postcode = f"{area}{district} {unit % 10}{chr(65 + unit // 10 % 26)}{chr(65 + unit % 26)}"
        return number, STREETS[street_index], TOWNS[town_index], postcode

    # --- queries --------------------------------------------------------------------

    def returning(self, person: Person) -> Query:
        """The customer again, written with one or two kinds of noise."""
        rng = self._rng
        first, last = person.first, person.last
        dob: str | None = person.dob
        number, street, town, postcode = person.number, person.street, person.town, person.postcode
        email, mobile = person.email, person.mobile
        for noise in rng.sample(range(8), rng.choice((1, 1, 2))):
            if noise == 0:
                first = _typo(first, rng)
            elif noise == 1:
                last = _typo(last, rng)
            elif noise == 2:
                first = _NICKNAMES.get(first, _typo(first, rng))
            elif noise == 3:
                first, last = last, first
            elif noise == 4:
                number, street, town, postcode = self._address()
            elif noise == 5:
                typo = person.dob[:-1] + str((int(person.dob[-1]) + rng.randint(1, 8)) % 10)
                dob = typo if typo[-2:] != "00" else person.dob
            elif noise == 6:
                email = f"{first}{rng.randrange(1000)}@{rng.choice(_EMAIL_DOMAINS)}"
            else:
                dob = None
        traits = {
            "name": f"{first.title()} {last.title()}",
            "date_of_birth": dob,
            "address": f"{number} {street.title()}, {town.title()}",
            "postcode": postcode,
        }
        ids = [("email", email, False), ("phone", mobile, False)]
        ids.append(("phone", person.landline, False))
        return Query("returning", traits, [i for i in ids if i[1]], person.person_id)

    def relative(self, person: Person) -> Query:
        """Someone of the customer's household new to the memory: a spouse, child or twin."""
        rng = self._rng
        first = rng.choice([f for f in FIRST_NAMES if f != person.first])
        twin = rng.random() < 0.3
        traits = {
            **person.traits(),
            "name": f"{first.title()} {person.last.title()}",
            "date_of_birth": person.dob if twin else self._dob(),
        }
        ids = [("phone", person.landline, False)] if person.landline else []
        return Query("twin" if twin else "relative", traits, ids, None)

    def stranger(self) -> Query:
        """Someone the memory has never seen."""
        person = self._household()[0]
        return Query("stranger", person.traits(), person.identifiers(), None)


def _typo(word: str, rng: random.Random) -> str:
    """One edit (substitution, deletion, transposition) after the first letter."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:at] + rng.choice("aeiourstln") + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
