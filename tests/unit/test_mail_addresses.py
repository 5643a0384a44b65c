"""The fast reading of address headers agrees with email.utils.getaddresses on every
header it takes, and leaves every other header to it."""

from __future__ import annotations

from email.utils import getaddresses

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.domain.imports.mail import addresses

ATEXT = "ABCxyz019!#$%&'*+/=?^_`{|}~-"
WORD = st.text(alphabet=ATEXT + '."(),;:<>@\\é ', min_size=1, max_size=8)
LOCAL = st.lists(st.text(alphabet=ATEXT, min_size=1, max_size=6), min_size=1, max_size=3)
DOMAIN = st.lists(st.text(alphabet="abcXY09-", min_size=1, max_size=6), min_size=1, max_size=3)
ADDRESS = st.builds(lambda local, domain: f"{'.'.join(local)}@{'.'.join(domain)}", LOCAL, DOMAIN)
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(WORD, max_size=4), ADDRESS, SPACE, SPACE, SPACE, st.booleans())
def test_single_addresses_read_as_getaddresses_reads_them(
    name: list[str], address: str, before: str, between: str, after: str, bracket: bool
) -> None:
    header = (
        f"{before}{' '.join(name)}{between}<{address}>{after}"
        if bracket
        else f"{before}{address}{after}"
    )
    assert addresses(header) == getaddresses([header])


def test_lists_quotes_comments_and_groups_are_left_to_getaddresses() -> None:
    for header in (
        'a@x.org, "Lee, Ann" <ann@x.org>',
        "ann@x.org (Ann Lee)",
        '"Ann \\"AL\\" Lee" <ann@x.org>',
        "Team: a@x.org, b@x.org;",
        "John Q. Public <jqp@x.org>",
        "Zoë Hart <zoe@x.org>",
        "",
    ):
        assert addresses(header) == [p for p in getaddresses([header]) if header], header
