"""Typed errors.  Library code raises these; only the CLI prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    record_id: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.record_id) if p]
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        text = f"{text} (hint: {self.hint})" if self.hint else text
        return text.translate(ONE_LINE)  # a value quoted in a message must not break the line


ONE_LINE = {ord("\n"): "\\n", ord("\r"): "\\r", 0x85: "\\x85", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class PmkgError(Exception):
    """An error a user can act on.  ``exit_code`` follows the CLI convention:
    1 = the data violates shapes or checks, 2 = input or runtime error."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 record_id: str | None = None, hint: str | None = None,
                 problems: list[Problem] | None = None) -> None:
        self.problems = problems or [Problem(message, file, line, record_id, hint)]
        super().__init__(message)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class InputError(PmkgError):
    """Curated input (YAML, parameters, files) is malformed."""


class ValidationFailed(PmkgError):
    """The graph violates the shapes or is inconsistent with the ontology."""

    exit_code = 1


class QueryError(PmkgError):
    """A query could not be prepared or run."""
