"""Validation problems shared by every format.

A :class:`Problem` names where (file or record, line, column or field) and which
rule was broken; :class:`ValidationFailed` carries all problems found in one
pass, so a user fixes a file once instead of once per error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One broken rule.

    :param rule: short identifier of the rule, e.g. ``ispot.ip.ipv4``.
    :param message: human readable explanation, quoting the vendor rule where it helps.
    :param source: file name, URI or record set the problem was found in.
    :param line: 1-based line (or record number) where it was found, if any.
    :param column: column or field name (or JSON path), if any.
    """

    rule: str
    message: str
    source: str | None = None
    line: int | None = None
    column: str | None = None

    def location(self) -> str:
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts) if parts else "input"

    def __str__(self) -> str:
        return f"{self.location()}: [{self.rule}] {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class ProblemCollector:
    """Collects problems; keeps the first ``limit`` in full and counts the rest."""

    limit: int = 50
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def extend(self, problems) -> None:
        for p in problems:
            self.add(p)

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self, what: str = "input") -> None:
        if self.total:
            raise ValidationFailed(self.problems, total=self.total, what=what)


class ValidationFailed(ValueError):
    """Input broke one or more vendor rules; nothing was sent to the vendor."""

    def __init__(self, problems: list[Problem], total: int | None = None, what: str = "input"):
        self.problems = list(problems)
        self.total = total if total is not None else len(self.problems)
        self.what = what
        super().__init__(self._format())

    def _format(self) -> str:
        lines = [f"{self.what} failed validation with {self.total} problem(s); nothing was sent:"]
        lines += [f"  - {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more problem(s) not listed")
        return "\n".join(lines)
