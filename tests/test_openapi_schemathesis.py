"""The OpenAPI document tells the truth: Schemathesis calls every operation with data generated
from the document (a few examples each, every check, a fixed seed) and compares each answer
with what the document says. The gateway runs with its workers (so that ``/health/ready``
answers 200) and with Tencent credentials (so that its upload signatures are made).

A request the document allows may still be refused with 400 for what no schema can say: a
``media_url`` whose host does not resolve or is private, a provider that needs a file part. And
``provider_params`` are checked against the chosen provider's own schema (``GET /providers``),
which the document cannot tie to ``provider``: ``POST /captions`` may answer 422 for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.services import wait_for
from tests.support.stack import API_KEY, GatewayStack

EXAMPLES_PER_OPERATION = 5
ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
CONFIG = {
    "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
    "operations": [
        {
            "include-path": "/captions",
            "include-method": "POST",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
        }
    ],
}


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory) -> Iterator[GatewayStack]:
    secrets = {"GATEWAY_PROVIDERS_TENCENT_SECRET_ID": "AKIDtest", "GATEWAY_PROVIDERS_TENCENT_SECRET_KEY": "test-key"}
    with GatewayStack(
        redis_server, tmp_path_factory.mktemp("openapi"), db=14, providers={"tencent": {}}, env=secrets, asr_worker=True
    ) as stack:
        yield stack


def test_every_answer_matches_the_openapi_document(stack):
    wait_for(lambda: stack.client().get("/health/ready").status_code == 200, 60, 0.5, what="workers on every queue")
    config = schemathesis.Config.from_dict(CONFIG)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", stack.app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 15
    failures = []
    calls = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                exercise(operation, mode, calls)
            except Unsatisfiable:  # no input to break (GET /health has none)
                continue
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported, not the first only
                failures.append(f"{operation.label} ({mode.value} data): {exc}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= len(operations) * 2


def exercise(operation, mode: GenerationMode, calls: list) -> None:
    """Up to :data:`EXAMPLES_PER_OPERATION` requests of ``mode`` (data the document allows, or not)."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case) -> None:
        calls.append(case.call_and_validate(headers={"X-Api-Key": API_KEY}))

    call()
