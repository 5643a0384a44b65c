"""Reading the memory: find customers, a customer's profile, a customer's timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warmline.actions.audit import record_read
from warmline.domain.access.masking import SENSITIVE_TRAITS, is_sensitive, mask_profile
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.errors import InvalidRequest
from warmline.serving.access import access_customer
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response
from warmline.serving.search import search_customers
from warmline.storage import queries

router = APIRouter(tags=["customers"])
Reader = Annotated[Actor, Depends(require(Permission.READ_CUSTOMERS))]


@router.get("/v1/customers", summary="Find customers by identifier or name")
def find_customers(
    engine: EngineDep,
    settings: SettingsDep,
    actor: Reader,
    identifier: Annotated[
        str | None, Query(max_length=300, description="kind:value, e.g. phone:+442079460958")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words of a name (each a prefix), or an identifier typed in full "
            "(an email, a phone or account number, or kind:value)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    """Exactly one of ``identifier`` (exact, normalised like ingest) or ``q``: holders of an
    identifier first, then names by how well they match and how recently the customer was
    in touch. ``total`` says how many matched; pass ``next_offset`` back as ``offset``."""
    if (identifier is None) == (q is None):
        raise InvalidRequest(
            "missing_query",
            "give exactly one of ?identifier=kind:value or ?q=name",
            hint="e.g. /v1/customers?identifier=email:miles@example.org",
        )
    with engine.connect() as conn:
        page = search_customers(
            conn,
            identifier if identifier is not None else q or "",
            region=settings.default_region,
            limit=limit,
            offset=offset,
            identifier_only=identifier is not None,
        )
    record_read(
        engine,
        actor,
        "customers.search",
        None,
        {"by": "identifier" if identifier else "name", "hits": len(page.results)},
    )
    return json_response(page.to_json())


@router.get("/v1/customers/{customer_id}", summary="A customer's profile")
def get_customer(customer_id: str, engine: EngineDep, actor: Reader) -> Response:
    """Profile, traits with their sources, and identifiers; sensitive values are masked for
    agents and supervisors (see POST /v1/customers/{id}/reveal)."""
    with engine.connect() as conn:
        live = access_customer(conn, engine, actor, customer_id, "customer.viewed")
        profile = queries.customer_profile(conn, live)
    assert profile is not None
    if not allows(actor.role, Permission.SEE_UNMASKED):
        profile = mask_profile(profile)
    if live != customer_id:
        profile["merged_from"] = customer_id
    return json_response(profile)


@router.get("/v1/customers/{customer_id}/timeline", summary="A customer's timeline")
def get_timeline(
    customer_id: str,
    engine: EngineDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Interactions on every channel, cases, commitments, activities and feedback, newest first.
    Pass ``next_cursor`` back as ``cursor`` for the next page."""
    with engine.connect() as conn:
        live = access_customer(conn, engine, actor, customer_id, "timeline.viewed")
        items, next_cursor = queries.timeline_page(conn, live, limit=limit, cursor=cursor)
    return json_response({"customer_id": live, "items": items, "next_cursor": next_cursor})


class RevealIn(BaseModel):
    """What to reveal, and why (the reason goes to the audit log)."""

    model_config = ConfigDict(extra="forbid")

    fields: Annotated[list[str], Field(min_length=1, max_length=20)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=500)]


@router.post("/v1/customers/{customer_id}/reveal", summary="Reveal masked values, with a reason")
def reveal(customer_id: str, body: RevealIn, engine: EngineDep, actor: Reader) -> Response:
    """Return the full values of ``fields``: ``identifiers``, the always-sensitive traits
    (such as ``date_of_birth``) and traits the source marked sensitive. Every reveal is
    audited with its reason; asking for anything else is refused before it is audited."""
    with engine.connect() as conn:
        live = queries.live_customer_id(conn, customer_id) or customer_id
        profile = queries.customer_profile(conn, live)
        traits = (profile or {}).get("traits") or {}
        unknown = [
            f for f in body.fields if f != "identifiers" and not is_sensitive(f, traits.get(f, {}))
        ]
        if unknown:
            raise InvalidRequest(
                "unknown_field",
                f"cannot reveal {', '.join(sorted(unknown))[:200]}: not a masked field",
                hint=f"reveal 'identifiers', {', '.join(sorted(SENSITIVE_TRAITS))} "
                "or a trait the source marked sensitive",
            )
        live = access_customer(
            conn,
            engine,
            actor,
            customer_id,
            "customer.revealed",
            fields=sorted(set(body.fields)),
            reason=body.reason,
        )
        profile = queries.customer_profile(conn, live)
    assert profile is not None
    out: dict[str, Any] = {"customer_id": live}
    for name in body.fields:
        if name == "identifiers":
            out[name] = [{"kind": i["kind"], "value": i["value"]} for i in profile["identifiers"]]
        else:
            out[name] = (profile.get("traits") or {}).get(name, {}).get("value")
    return json_response(out)
