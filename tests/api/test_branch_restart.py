"""The queue is in the database: a real server process stopped mid-queue and started again
keeps every ticket, its order and its times, and calls on where it left off."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tests.api.branch_calls import soho
from tests.server_process import ServerProcess
from warmline.actions.keys import create_key


def test_a_restart_keeps_the_queue_in_order_with_its_times(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _, admin = create_key(engine, role="admin", name="test-admin")
    _, kiosk = create_key(engine, role="kiosk", name="soho-kiosk")
    _, agent = create_key(engine, role="agent", name="test-agent")
    server = ServerProcess(db_url, tmp_path / "server.log")
    server.start()
    try:
        with server.client(admin) as api:
            assert api.put("/v1/branches/soho", json=soho()).status_code == 201
        for n in range(4):
            server.check_in_by_phone(
                kiosk, f"07911 1234{n:02d}", service="everyday", reason=f"visit {n}"
            )
        with server.client(agent) as api:
            first = api.post("/v1/branches/soho/calls", json={"service_point": "counter-1"})
            assert first.json()["visit"]["ticket"] == "A001"
            before = api.get("/v1/branches/soho/queue").json()
        server.restart()
        with server.client(agent) as api:
            after = api.get("/v1/branches/soho/queue").json()
            assert [t["ticket"] for t in after["tickets"]] == ["A002", "A003", "A004"]
            keep = ("ticket", "visit_id", "checked_in_at", "reason", "position")
            assert [{k: t[k] for k in keep} for t in after["tickets"]] == [
                {k: t[k] for k in keep} for t in before["tickets"]
            ]
            assert after["today"] == {"called": 1, "waiting": 3}
            again = api.post("/v1/branches/soho/calls", json={"service_point": "counter-2"})
            assert again.json()["visit"]["ticket"] == "A002"
            # The ticket called before the restart is still at its counter, and ends there.
            done = api.post(
                f"/v1/visits/{first.json()['visit']['id']}/finish", json={"outcome": "resolved"}
            )
            assert done.status_code == 200, done.text
    finally:
        server.stop()
