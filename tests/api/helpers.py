"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def post(client: TestClient, headers: dict[str, str], events: Any, status: int = 200) -> Any:
    """POST events and assert the status; return the JSON body."""
    response = client.post("/v1/events", json=events, headers=headers)
    assert response.status_code == status, response.text
    return response.json()
