"""The one error type a pipeline step raises: it names the step, the date and the cause."""

from __future__ import annotations

import datetime as dt


class StepError(RuntimeError):
    """A pipeline step failed for a business date."""

    def __init__(self, step: str, day: dt.date | str, cause: str) -> None:
        self.step, self.day, self.cause = step, str(day), cause
        super().__init__(f"step {step!r} failed for {self.day}: {cause}")


class InputFileError(ValueError):
    """A delivered file cannot be read as its dataset; the message says the file and the fix."""
