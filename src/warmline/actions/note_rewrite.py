"""The optional LLM rewrite of a handover note, over HTTP, with the extractive note as fallback.

Any OpenAI-compatible ``/v1/chat/completions`` endpoint will do (a local llama.cpp or
vLLM server, or a hosted one). The request and the strict check of the answer are
pure (:mod:`warmline.domain.handover.llm_note`); this module only sends it with the standard
library's ``urllib`` and a timeout. Whatever goes wrong (refused connection, timeout,
an HTTP error, an answer that is not JSON, a rewrite that breaks the note's rules) the
extractive note is kept, the failure is logged as a warning and returned, so the
handover records it. Nothing is sent anywhere unless an endpoint is configured.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from warmline.config import Settings
from warmline.domain.handover.llm_note import RewriteRejected, chat_request, parse_rewrite
from warmline.domain.handover.note import HandoverNote

log = logging.getLogger("warmline.handover")
MAX_ANSWER_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LlmEndpoint:
    """Where and how to ask for a rewrite. The key is kept out of ``repr`` (and logs)."""

    url: str
    model: str
    timeout: float = 5.0
    api_key: str | None = field(default=None, repr=False)


def rewrite_note(note: HandoverNote, endpoint: LlmEndpoint) -> tuple[HandoverNote, str | None]:
    """The rewritten note and None, or the note unchanged and why the rewrite failed."""
    try:
        answer = _ask(note, endpoint)
        return parse_rewrite(answer, note), None
    except RewriteRejected as rejected:
        failure = f"the rewrite was rejected: {rejected.reason}"
    except urllib.error.HTTPError as error:
        failure = f"the LLM endpoint answered HTTP {error.code}"
    except urllib.error.URLError as error:
        failure = _unreachable(error.reason, endpoint)
    except TimeoutError:
        failure = f"the LLM endpoint did not answer within {endpoint.timeout:g} s"
    except (ValueError, UnicodeDecodeError):
        failure = "the LLM endpoint's answer is not JSON"
    except OSError as error:
        failure = f"the LLM endpoint failed mid-answer: {type(error).__name__}"
    log.warning(
        "handover note kept extractive (%s at %s): %s", endpoint.model, endpoint.url, failure
    )
    return note, failure


def _ask(note: HandoverNote, endpoint: LlmEndpoint) -> object:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    request = urllib.request.Request(  # noqa: S310  # the operator configures an http(s) URL
        endpoint.url,
        data=json.dumps(chat_request(note, endpoint.model)).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=endpoint.timeout) as response:  # noqa: S310
        body = response.read(MAX_ANSWER_BYTES + 1)
    if len(body) > MAX_ANSWER_BYTES:
        raise RewriteRejected(f"the answer is over {MAX_ANSWER_BYTES} bytes")
    answer: object = json.loads(body.decode())
    return answer


def _unreachable(reason: object, endpoint: LlmEndpoint) -> str:
    if isinstance(reason, TimeoutError):
        return f"the LLM endpoint did not answer within {endpoint.timeout:g} s"
    return f"cannot reach the LLM endpoint ({reason})"


def endpoint_from(url: str, model: str, timeout: float, api_key: str | None) -> LlmEndpoint | None:
    """The configured endpoint, or None when no URL is set (extractive notes only)."""
    url = url.strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        log.warning("WARMLINE_LLM_URL must start with http:// or https://; rewriting is off")
        return None
    return LlmEndpoint(url, model.strip() or "default", timeout, api_key)


def llm_endpoint(settings: Settings) -> LlmEndpoint | None:
    """The configured LLM endpoint for rewriting notes, or None."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return endpoint_from(settings.llm_url, settings.llm_model, settings.llm_timeout_seconds, key)
