"""A JSON response body (RFC 8259) read without losing how its numbers were written.

Numbers come back as :class:`JsonNumber`, a ``str`` holding the number's text exactly as the
producer wrote it (``1830489311088.89``, ``12``), so a figure keeps its published text and its
exact :class:`~decimal.Decimal` value; JSON strings stay plain ``str``.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import UpdateError
from .records import Response

__all__ = ["JsonNumber", "load"]


class JsonNumber(str):
    """A JSON number, as written in the body."""


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def load(response: Response) -> Any:
    """The body of ``response`` as JSON, numbers as :class:`JsonNumber`.

    :raises UpdateError: when the body is not UTF-8 JSON.
    """
    try:
        return json.loads(
            response.body.decode("utf-8"),
            parse_float=JsonNumber,
            parse_int=JsonNumber,
            parse_constant=_reject,
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise UpdateError(
            f"{response.source}: malformed JSON from {response.url}: {error}"
        ) from None
