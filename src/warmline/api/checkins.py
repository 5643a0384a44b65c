"""Checking in at a branch: the app's signed QR code, a phone number with an SMS code, or an
appointment's reference; and the code an app shows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from warmline.actions.branch_setup import branch_or_404
from warmline.actions.checkin import ByAppointment, ByCode, ByPhone, Proof
from warmline.actions.checkin_codes import issue_checkin_code
from warmline.actions.signing import signing_key
from warmline.domain.access.roles import Actor, Permission
from warmline.errors import InvalidRequest
from warmline.serving.checkins import checkin, phone_number, qr_svg, send_code, sms_sender
from warmline.serving.deps import EngineDep, SettingsDep, require
from warmline.serving.responses import json_response

router = APIRouter(tags=["check-in"])
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Kiosk = Annotated[Actor, Depends(require(Permission.CHECK_IN))]


class CheckinCodeIn(BaseModel):
    """The branch the customer is going to and the verification to carry there: its
    assurance id, or the app session it happened in."""

    model_config = ConfigDict(extra="forbid")

    branch: Short
    assurance_id: Ref | None = None
    interaction_id: Ref | None = Field(
        None, description="Warmline's or your id of the session the customer verified in."
    )


class PhoneCodeIn(BaseModel):
    """The number the customer typed at the kiosk."""

    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, StringConstraints(min_length=3, max_length=40)]


class CheckinIn(BaseModel):
    """One way of checking in (``code``; ``phone`` with ``phone_code_id`` and
    ``phone_code``; or ``appointment``), and what the visit is for (a booking carries its
    own)."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = Field(
        None, description="The app's check-in code, as scanned from its QR code or typed."
    )
    phone: Annotated[str, StringConstraints(min_length=3, max_length=40)] | None = None
    phone_code_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    phone_code: Annotated[str, StringConstraints(min_length=1, max_length=12)] | None = None
    appointment: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = Field(
        None, description="An appointment's reference, as in its confirmation."
    )
    service: Short | None = Field(None, description="The service queued for (a code).")
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


@router.post(
    "/v1/customers/{customer_id}/checkin-codes",
    summary="A signed QR code that checks the customer in at a branch",
    status_code=201,
)
def post_checkin_code(
    customer_id: str,
    body: CheckinCodeIn,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(require(Permission.ISSUE_CHECKIN_CODES))],
) -> Response:
    """For the app to show: ``code`` (16 characters, typeable) and ``qr_svg`` (the same as a
    QR code). Signed (HMAC-SHA256), for one branch, works once, for
    ``WARMLINE_CHECKIN_CODE_MINUTES`` (10); scanned at that branch's kiosk it checks the
    customer in and carries the verification to the counter. Shown once: only its random
    id is kept. Refused like a continuation code (``assurance_not_found``,
    ``assurance_expired``, ...), and at most 5 a customer an hour."""
    issued = issue_checkin_code(
        engine,
        actor,
        customer_id,
        branch=body.branch,
        key=signing_key(engine, settings.link_secret),
        assurance_id=body.assurance_id,
        interaction_id=body.interaction_id,
        minutes=settings.checkin_code_minutes,
    )
    return json_response(
        {
            "code": issued.code,
            "qr_svg": qr_svg(issued.code),
            "customer_id": issued.customer_id,
            "branch": issued.branch,
            "assurance_id": issued.assurance_id,
            "expires_at": issued.expires_at,
        },
        201,
    )


@router.post(
    "/v1/branches/{code}/phone-codes",
    summary="Send a one-time code by SMS to check in with a phone number",
    status_code=201,
)
async def post_phone_code(
    code: str,
    body: PhoneCodeIn,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: Kiosk,
) -> Response:
    """Sent whether or not the number is a customer's (the answer never says). Works 10
    minutes, once, 5 tries; at most 3 a number and 60 a kiosk an hour
    (``too_many_phone_codes``, 429); ``sms_not_sent`` (503) if the sender failed."""
    branch = branch_or_404(engine, code)
    sent = await run_in_threadpool(
        send_code, engine, settings, actor, branch, body.phone, sms_sender(request)
    )
    return json_response({"phone_code_id": sent.phone_code_id, "expires_at": sent.expires_at}, 201)


@router.post("/v1/branches/{code}/checkins", summary="Check a customer in", status_code=201)
async def post_checkin(
    code: str, body: CheckinIn, engine: EngineDep, settings: SettingsDep, actor: Kiosk
) -> Response:
    """The ticket, the wait, and the customer's first name (nothing else about them; a guest
    has none). Refused with what to do: ``checkin_code_malformed``, ``_invalid``,
    ``_tampered``, ``_used``, ``_expired``, ``_other_branch``; ``phone_code_wrong`` (with
    ``tries_left``), ``_expired``, ``_used``, ``_locked``; ``appointment_not_found``,
    ``_other_branch``, ``_other_day``, ``_checked_in``, ``_cancelled``."""

    def checking() -> dict[str, Any]:  # on a worker thread, reads included: not on the loop
        branch = branch_or_404(engine, code)
        proof = _proof(body, settings.default_region)
        return checkin(
            engine, settings, actor, branch, proof, service=body.service, reason=body.reason
        )

    return json_response(await run_in_threadpool(checking), 201)


def _proof(body: CheckinIn, region: str) -> Proof:
    ways = [body.code is not None, body.phone is not None, body.appointment is not None]
    if sum(ways) != 1:
        raise InvalidRequest(
            "invalid_checkin",
            "check in one way: code, phone (with phone_code_id and phone_code) or appointment",
            hint="see POST /v1/branches/{code}/checkins in /docs",
        )
    if body.code is not None:
        return ByCode(body.code)
    if body.appointment is not None:
        return ByAppointment(body.appointment)
    assert body.phone is not None
    if body.phone_code_id is None or body.phone_code is None:
        raise InvalidRequest(
            "invalid_checkin",
            "a phone check-in needs phone_code_id (from POST .../phone-codes) and phone_code",
            hint="send the code first, then check in with what the customer types",
        )
    return ByPhone(phone_number(body.phone, region), body.phone_code_id, body.phone_code)
