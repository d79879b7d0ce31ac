"""providers.http: what a service's answer becomes, against a real server on loopback."""

from __future__ import annotations

import email.utils

import pytest
import requests

from providers import http
from providers.errors import PermanentProviderError, TransientProviderError
from providers.testing import FAULTS, FaultServer


@pytest.fixture(scope="module")
def server():
    server = FaultServer(silent_s=3).start()
    yield server
    server.stop()


def test_retry_after_in_seconds_or_as_an_http_date():
    assert http.parse_retry_after("7") == 7.0
    now = 1_800_000_000.0
    assert http.parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert http.parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert http.parse_retry_after("soon") is None
    assert http.parse_retry_after(None) is None


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.kind == "respond" and f.status >= 400], ids=lambda f: f.id)
def test_error_answers_become_the_error_tree(server, fault):
    url = server.play(fault)
    with pytest.raises(fault.expect) as raised:
        http.call(requests.Session(), "GET", url + "/x", service="acme", timeout=2)
    assert "acme answered HTTP" in str(raised.value)
    if fault.retry_after is not None:
        assert raised.value.retry_after == fault.retry_after
    if b"<html>" in fault.body:
        assert "HTML page" in str(raised.value)


def test_the_service_words_are_kept(server):
    fault = next(f for f in FAULTS if f.id == "http-400")
    url = server.play(fault)
    with pytest.raises(PermanentProviderError, match="acme answered HTTP 400: bad request"):
        http.call(requests.Session(), "GET", url, service="acme", timeout=2, error_message=lambda r: r.json()["error"])


def test_silence_and_refusal_are_transient(server):
    silent = next(f for f in FAULTS if f.kind == "silent")
    with pytest.raises(TransientProviderError, match="did not answer in time"):
        http.call(requests.Session(), "GET", server.play(silent), service="acme", timeout=0.3)
    refused = next(f for f in FAULTS if f.kind == "refused")
    with pytest.raises(TransientProviderError, match="could not be reached"):
        http.call(requests.Session(), "GET", server.play(refused), service="acme", timeout=1)


def test_json_body_refuses_html_and_garbage(server):
    garbage = next(f for f in FAULTS if f.id == "garbage-200")
    response = http.call(requests.Session(), "GET", server.play(garbage), service="acme", timeout=2)
    with pytest.raises(PermanentProviderError, match="not JSON"):
        http.json_body(response, "acme")
    with pytest.raises(PermanentProviderError, match="unexpected document"):
        http.require({"a": 1}, "acme", "id")
