"""Pre-filled forms: what is on record for each field, the customer's confirmations and
corrections, and signed links for the customer to confirm a form themselves."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from warmline.actions.forms import Answer, confirm_form
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import Forbidden
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.prefill import VERIFIED, read_prefill, send_form_link
from warmline.serving.profile_config import profile_config
from warmline.serving.responses import json_response

router = APIRouter(tags=["forms"])
Verification = Literal["none", "weak", "medium", "strong"]
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _claimable(actor: Actor, verification: str) -> None:
    if verification in VERIFIED and not actor.may_verify:
        raise Forbidden(
            "verify_not_allowed",
            "this key may not say the customer is verified",
            hint="send verification: none, or use a key created with --may-verify",
        )


@router.get(
    "/v1/customers/{customer_id}/prefill/{form}", summary="A form pre-filled from the memory"
)
def get_prefill(
    customer_id: str,
    form: str,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.PREFILL_FORMS))],
    verification: Annotated[
        Verification,
        Query(
            description="How verified the customer is in your session (medium or strong "
            "needs a key that may verify)."
        ),
    ] = "none",
) -> Response:
    """Every field of the form with its value, source, provenance, when it was recorded and
    last confirmed, its age, and ``stale`` (nothing on record, or unconfirmed for longer
    than the form allows). Sensitive values are masked unless your role sees them, or your
    key may verify and says the customer is verified. Audited."""
    _claimable(actor, verification)
    definition = profile_config(settings).form(form)
    with engine.connect() as conn:
        body = read_prefill(conn, engine, actor, customer_id, definition, verification=verification)
    return json_response(body)


class AnswerIn(BaseModel):
    """One field: leave ``value`` out to confirm what is on record, or give the new value."""

    model_config = ConfigDict(extra="forbid")

    field: FieldName
    value: str | int | None = Field(
        None, description="The corrected value; absent: confirmed as is."
    )


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Annotated[list[AnswerIn], Field(min_length=1, max_length=100)]
    verification: Verification = Field(
        "none", description="How verified the customer is in your session."
    )


@router.post(
    "/v1/customers/{customer_id}/prefill/{form}/confirm",
    summary="Record the customer's confirmations and corrections",
)
def post_confirm(
    customer_id: str,
    form: str,
    body: ConfirmIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.CONFIRM_FORMS))],
) -> Response:
    """Each answer is checked on its own: the ones that pass become facts from the customer
    (``recorded``), the others are listed in ``rejected`` with a ``code`` (``unknown_field``,
    ``invalid_value``, ``value_missing``, ``too_long``, ``nothing_to_confirm``,
    ``verification_required`` for a field that needs a verified session) and what to do.
    Nothing recorded at all answers 422 ``nothing_recorded``. Audited."""
    _claimable(actor, body.verification)
    definition = profile_config(settings).form(form)
    result = confirm_form(
        engine,
        customer_id,
        definition,
        [Answer(a.field, a.value) for a in body.answers],
        verification=body.verification,
        recorded_by=actor.name,
        audit_actor={"actor": actor.key_id, "role": actor.role.value},
        region=settings.default_region,
    )
    return json_response({"recorded": result.recorded, "rejected": result.rejected})


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verification: Verification = Field(
        "none",
        description="How verified the customer is where the link is made; medium or strong "
        "lets them change sensitive fields through it (needs a key that may verify).",
    )
    interaction_id: Annotated[str, StringConstraints(max_length=200)] | None = None


@router.post(
    "/v1/customers/{customer_id}/prefill/{form}/link",
    summary="A signed, single-use link for the customer to confirm the form",
    status_code=201,
)
def post_link(
    customer_id: str,
    form: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.SEND_FORM_LINKS))],
    body: LinkIn | None = None,
) -> Response:
    """A link to a page where the customer sees what is on record (sensitive values partly
    hidden), where each value came from and when, and confirms or corrects it. Signed with
    ``WARMLINE_LINK_SECRET``, it works once and for ``WARMLINE_FORM_LINK_MINUTES`` (15).
    Audited."""
    body = body or LinkIn()
    _claimable(actor, body.verification)
    out = send_form_link(
        engine,
        actor,
        settings,
        str(request.base_url),
        customer_id,
        form,
        verification=body.verification,
        interaction_id=body.interaction_id,
    )
    return json_response(out, 201)
