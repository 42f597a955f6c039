"""The one exception of the producer updates: every failure in fetching or parsing raises
:class:`UpdateError` with a one-line message naming what failed (source, URL or file, reason).
The run aborts on it and leaves the served data as it was."""

from __future__ import annotations

__all__ = ["UpdateError"]


class UpdateError(Exception):
    """A producer update failed; ``str(error)`` is one line for the operator."""
