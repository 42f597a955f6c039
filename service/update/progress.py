"""The progress of ``migkg update`` on standard error: a tqdm bar on a terminal, one line per
step otherwise (cron mail, CI logs)."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["Progress"]


class Progress:
    """Context manager whose :meth:`step` reports one step of the run."""

    def __init__(self, *, enabled: bool = True, stream=None):
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.bar: tqdm | None = None
        if enabled and self.stream.isatty():
            self.bar = tqdm(total=None, unit=" steps", file=self.stream, leave=False)

    def step(self, message: str) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_description_str(message)
            self.bar.update(1)
        else:
            print(f"update: {message}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
