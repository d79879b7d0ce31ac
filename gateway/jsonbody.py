"""JSON request bodies, parsed with a nesting limit.

Python's ``json`` parser recurses: a body of 50,000 ``[`` overflows the interpreter's stack and
raises ``RecursionError``, which no one expects and which ended as a 500. And a structure a
few hundred levels deep that still parses can fail later, when a worker serialises it. No
caption request or provider callback is more than a few levels deep, so anything deeper than
:data:`MAX_DEPTH` is refused as invalid JSON (400) wherever a body is parsed: the API's
arguments (webargs), JSON text in multipart fields, and ``request.get_json`` (callbacks).
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

MAX_DEPTH = 32


def loads(data: str | bytes) -> Any:
    """Strict ``json.loads``: ``json.JSONDecodeError`` for NaN/Infinity and nesting deeper than :data:`MAX_DEPTH`."""
    text = data if isinstance(data, str) else data.decode("utf-8")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits
        raise json.JSONDecodeError(str(exc).split(";")[0], text, 0) from None
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = depth_exceeds(value, MAX_DEPTH)
    if too_deep:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0)
    return value


def _refuse_constant(name: str) -> NoReturn:
    # Python reads NaN and Infinity, but they are not JSON: stored, they would go out again in webhooks
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _finite_float(literal: str) -> float:
    # 1e400 reads as inf: refused like Infinity
    value = float(literal)
    if math.isinf(value):
        raise json.JSONDecodeError(f"number {literal[:20]} is out of range", literal, 0)
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects in ``value`` nest more than ``limit`` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON with the nesting limit on parsing (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class ArgumentsParser(FlaskParser):
    """The webargs parser of the API's blueprints: the nesting limit, and the parser's reason in the error."""

    def _raw_load_json(self, req) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))

    def _handle_invalid_json_error(self, error: Exception, req, *args: Any, **kwargs: Any) -> NoReturn:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        abort(400, exc=error, messages={"json": [f"Invalid JSON body: {reason}."]})
