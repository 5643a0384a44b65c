"""The LLM endpoint setting: off unless a http(s) URL is configured; the key never shows."""

from __future__ import annotations

import logging

import pytest

from warmline.actions.note_rewrite import endpoint_from


def test_no_url_means_no_rewrite_and_no_network() -> None:
    assert endpoint_from("", "m", 5.0, None) is None
    assert endpoint_from("   ", "m", 5.0, "sk-x") is None


def test_only_http_urls_are_used(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="warmline.handover"):
        assert endpoint_from("file:///etc/passwd", "m", 5.0, None) is None
    assert "must start with http:// or https://" in caplog.text


def test_the_api_key_stays_out_of_repr_and_a_missing_model_has_a_name() -> None:
    endpoint = endpoint_from(" http://127.0.0.1:8080/v1/chat/completions ", "", 2.5, "sk-secret")
    assert endpoint is not None
    assert endpoint.url == "http://127.0.0.1:8080/v1/chat/completions"
    assert (endpoint.model, endpoint.timeout, endpoint.api_key) == ("default", 2.5, "sk-secret")
    assert "sk-secret" not in repr(endpoint)
