"""A branch for API tests (Soho: everyday banking and mortgages), and its calls: Miles
verified in the app, a check-in code, a phone check-in with a stub SMS sender."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event

MILES_PHONE = "020 7946 0958"
STAFF = ["test-agent", "test-supervisor", "test-admin"]


def soho(**changes: Any) -> dict[str, Any]:
    """The test branch, as the admin API takes it."""
    branch: dict[str, Any] = {
        "name": "Soho",
        "timezone": "Europe/London",
        "services": [
            {
                "code": "everyday",
                "name": "Cards and everyday banking",
                "letter": "A",
                "minutes": 6,
                "reasons": ["Card declined", "Lost or stolen card", "Paying in"],
            },
            {"code": "mortgages", "name": "Mortgages", "letter": "M", "minutes": 30},
        ],
        "service_points": [
            {"code": "counter-1", "name": "Counter 1", "services": ["everyday"]},
            {"code": "counter-2", "name": "Counter 2", "services": ["everyday"]},
            {"code": "desk-3", "name": "Mortgage desk", "services": ["mortgages", "everyday"]},
        ],
        "staff": STAFF,
    }
    branch.update(changes)
    return branch


def add_branch(client: TestClient, keys: Keys, code: str = "soho", **changes: Any) -> None:
    response = client.put(f"/v1/branches/{code}", json=soho(**changes), headers=keys.admin)
    assert response.status_code in (200, 201), response.text


@dataclass
class StubSender:
    """Keeps the messages it is asked to send; the code is read back from the text."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    def last_code(self) -> str:
        found = re.match(r"(\d{6}) ", self.sent[-1][1])
        assert found, self.sent[-1]
        return found.group(1)


def stub_sms(client: TestClient) -> StubSender:
    sender = StubSender()
    client.app.state.sms_sender = sender  # type: ignore[attr-defined]
    return sender


def miles(client: TestClient, keys: Keys, **traits: Any) -> str:
    """Miles on record; returns his id."""
    ref = customer(
        ("email", "miles@example.org", True),
        ("phone", "+44 20 7946 0958", True),
        name="Miles Okafor",
        **traits,
    )
    body = post(client, keys.integrator, [make_event("customer.identified", customer=ref)])
    return str(body["results"][0]["customer_id"])


def checkin_code(
    client: TestClient, keys: Keys, cid: str, status: int = 201, branch: str = "soho", **body: Any
) -> Any:
    response = client.post(
        f"/v1/customers/{cid}/checkin-codes",
        json={"branch": branch, "interaction_id": "app-1", **body},
        headers=keys.integrator,
    )
    assert response.status_code == status, response.text
    return response.json()


def check_in(
    client: TestClient, keys: Keys, status: int = 201, branch: str = "soho", **body: Any
) -> Any:
    response = client.post(f"/v1/branches/{branch}/checkins", json=body, headers=keys.kiosk)
    assert response.status_code == status, response.text
    return response.json()


def phone_check_in(
    client: TestClient,
    keys: Keys,
    sender: StubSender,
    phone: str = MILES_PHONE,
    *,
    code: str | None = None,
    status: int = 201,
    **body: Any,
) -> Any:
    """Ask for an SMS code, then check in with it (or with ``code``)."""
    sent = client.post("/v1/branches/soho/phone-codes", json={"phone": phone}, headers=keys.kiosk)
    assert sent.status_code == 201, sent.text
    return check_in(
        client,
        keys,
        status,
        phone=phone,
        phone_code_id=sent.json()["phone_code_id"],
        phone_code=code or sender.last_code(),
        service=body.pop("service", "everyday"),
        **body,
    )


def call_next(
    client: TestClient,
    headers: dict[str, str],
    point: str = "counter-1",
    status: int = 200,
    **body: Any,
) -> Any:
    response = client.post(
        "/v1/branches/soho/calls", json={"service_point": point, **body}, headers=headers
    )
    assert response.status_code == status, response.text
    return response.json()
