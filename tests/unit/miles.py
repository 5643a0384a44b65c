"""Miles's story from seed 001 as plain data: his chat about a declined card (example 2)."""

from __future__ import annotations

import datetime as dt

from warmline.domain.conversation.turns import Turn

AT = dt.datetime(2026, 11, 22, 10, 2, tzinfo=dt.UTC)


def minutes(n: int) -> dt.datetime:
    return AT + dt.timedelta(minutes=n)


MILES_CHAT = [
    Turn(
        "customer",
        "My card got declined at the fuel station, second time this week. "
        "I have money in the account.",
        minutes(0),
    ),
    Turn(
        "agent",
        "Sorry about that, Miles. I can see a block from our fraud checks on card ending 4417.",
        minutes(1),
        "lena",
    ),
    Turn("customer", "Can you just remove it? I'm stuck at the pump.", minutes(3)),
    Turn(
        "agent",
        "I can't lift this block from chat, I'm afraid. "
        "The card team can do it on the phone straight away.",
        minutes(5),
        "lena",
    ),
    Turn("customer", "Fine, I'll call. Please make sure they know about this.", minutes(6)),
]
