"""What the OpenAPI document says beyond what flask-smorest writes: the installed providers as the
choices of ``provider``, the caption formats of the format path parameters, the JSON text of
``X-Pagination``, and NYT's ``error`` in the error body."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import marshmallow as ma
from apispec import APISpec
from flask_smorest.error_handler import ErrorSchema

import formats

PAGINATION_HEADER = {
    "description": 'the page as JSON text: {"total", "total_pages", "first_page", "last_page", "page", '
    '"previous_page", "next_page"}',
    "schema": {"type": "string"},
}


class GatewayErrorSchema(ErrorSchema):
    """flask-smorest's error body plus ``error``, the message again, as NYT's API names it."""

    error = ma.fields.String(metadata={"description": "the message (NYT's name for it)"})


def format_parameter(choices: Iterable[str]) -> dict[str, Any]:
    """The ``fmt`` path parameter of a route, with the formats it takes."""
    return {"in": "path", "name": "fmt", "required": True, "schema": {"type": "string", "enum": list(choices)}}


OUTPUT_FORMAT = format_parameter(formats.OUTPUT_TYPES)
TRANSCRIPT_FORMAT = format_parameter(formats.INPUT_TYPES)


def describe_installation(spec: APISpec, providers: Iterable[str], multipart_body: dict[str, Any]) -> None:
    """Write this gateway's providers into its document (the marshmallow schemas are shared by
    every app, the document is this app's own) and the pagination header as it is sent."""
    choices = sorted(providers)
    spec.components.schemas["CaptionRequest"]["properties"]["provider"]["enum"] = choices
    multipart = copy.deepcopy(multipart_body)
    multipart["properties"]["provider"]["enum"] = choices
    spec.components.schema("CaptionRequestMultipart", component=multipart)
    for headers in (spec.components.headers, spec.components.headers_lazy):
        if "PAGINATION" in headers:
            headers["PAGINATION"] = dict(PAGINATION_HEADER)
