"""Long code lists split for URLs: the World Bank API v2 takes at most 1,500 characters
between two slashes (producer-apis.md), and a UNHCR ``coa=`` list is kept as short."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .errors import UpdateError

__all__ = ["chunk_codes"]


def chunk_codes(codes: Sequence[str], separator: str, limit: int) -> Iterator[list[str]]:
    """Consecutive runs of ``codes`` whose ``separator``-joined text stays under ``limit``."""
    chunk: list[str] = []
    for code in codes:
        if len(code) >= limit:
            raise UpdateError(f"the code {code!r} alone is longer than {limit} characters")
        if chunk and len(separator.join([*chunk, code])) >= limit:
            yield chunk
            chunk = []
        chunk.append(code)
    if chunk:
        yield chunk
