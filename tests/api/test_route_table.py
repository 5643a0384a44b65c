"""Every route against every role, generated from the app's own route table.

A new route must either declare its permission with ``require(...)`` or be listed
here as public on purpose; otherwise this test fails, so nothing ships unprotected.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.factories import Keys
from warmline.domain.access.roles import PERMISSIONS, Role

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/")}
#: Webhooks posted by other systems: authenticated by their connector's own secret (401
#: without it), not by an API key's role.
OWN_SECRET = {
    ("POST", "/v1/connectors/chatwoot/{account}"),
    ("POST", "/v1/connectors/zendesk/{account}"),
}
DESK_PUBLIC = {("GET", "/desk/sign-in"), ("POST", "/desk/sign-in"), ("POST", "/desk/sign-out")}
# The branch floor's devices sign in with a kiosk key the same way.
DESK_PUBLIC |= {("GET", "/branch/sign-in"), ("POST", "/branch/sign-in")}
DESK_PUBLIC |= {("POST", "/branch/sign-out")}


def permission_of(route: APIRoute) -> Any:
    stack, found = list(route.dependant.dependencies), []
    while stack:
        dep = stack.pop()
        if hasattr(dep.call, "permission"):
            found.append(dep.call.permission)
        stack.extend(dep.dependencies)
    assert len(found) <= 1, route.path
    return found[0] if found else None


def routes(client: TestClient) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, route.path, route)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        for method in sorted(route.methods)
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_api_route_declares_a_permission_or_is_public(client: TestClient) -> None:
    for method, path, route in routes(client):
        if path.startswith(("/desk", "/branch", "/embed")) or (method, path) in PUBLIC | OWN_SECRET:
            continue
        assert permission_of(route) is not None, f"{method} {path} has no require(...)"


def test_every_route_refuses_a_request_without_a_key(client: TestClient) -> None:
    for method, path, _ in routes(client):
        if (method, path) in PUBLIC | DESK_PUBLIC:
            continue
        response = client.request(method, concrete(path), headers={"X-Desk-Fragment": "1"})
        assert response.status_code == 401, (method, path, response.status_code)


def test_every_role_gets_exactly_its_permissions(client: TestClient, keys: Keys) -> None:
    for method, path, route in routes(client):
        permission = permission_of(route)
        if permission is None:
            continue
        for role in Role:
            headers = getattr(keys, role.value)
            response = client.request(method, concrete(path), headers=headers, json=[])
            allowed = permission in PERMISSIONS[role]
            if allowed:
                assert response.status_code not in (401, 403), (method, path, role)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code)
