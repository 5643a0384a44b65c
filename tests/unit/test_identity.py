from __future__ import annotations

from warmline.domain.identity.identifiers import Identifier
from warmline.domain.identity.resolution import Holder, resolve

EMAIL = Identifier("email", "ann@example.org")
PHONE = Identifier("phone", "+442079460555")


def test_a_sole_holder_links_and_nobody_means_new() -> None:
    assert resolve([EMAIL], {("email", EMAIL.value): [Holder("ann", False)]}).customer_id == "ann"
    nobody = resolve([EMAIL], {})
    assert nobody.customer_id is None and not nobody.ambiguous


def test_a_shared_phone_names_nobody_but_lists_the_candidates() -> None:
    holders = {("phone", PHONE.value): [Holder("ann", True), Holder("ben", True)]}
    found = resolve([PHONE], holders)
    assert found.customer_id is None and found.ambiguous
    assert found.candidates == ("ann", "ben")


def test_a_personal_identifier_wins_over_a_shared_phone() -> None:
    holders = {
        ("phone", PHONE.value): [Holder("ann", True)],
        ("email", "ben@example.org"): [Holder("ben", True)],
    }
    assert resolve([PHONE, Identifier("email", "ben@example.org")], holders).customer_id == "ben"


def test_a_verified_stranger_is_not_the_owner_of_the_household_phone() -> None:
    holders = {("phone", PHONE.value): [Holder("ann", True)]}
    newcomer = Identifier("email", "cat@example.org", verified=True)
    found = resolve([newcomer, PHONE], holders)
    assert found.customer_id is None and found.candidates == ("ann",)
    # Without a verified personal identifier the phone's sole holder is linked.
    assert resolve([Identifier("email", "cat@example.org"), PHONE], holders).customer_id == "ann"
