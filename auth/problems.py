"""Problems in configuration files, collected so that every one is reported at once, with its fix.

Operations staff mend a deployment in one go when start-up lists every problem (source, key, what is wrong,
how to fix it) instead of one error per restart; settings, role rules and the services catalogue all report
through ``ConfigProblem``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A GUID as Entra writes object, tenant and group ids; case-insensitive (ids are compared lower-cased).
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in the configuration: where it comes from, which key, what is wrong and the fix."""

    source: str
    key: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.problem}. Fix: {self.fix.rstrip('.')}."


class ConfigProblems(Exception):
    """Configuration that cannot be used; ``problems`` lists every problem found, not just the first."""

    heading = "the configuration has problems"

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{self.heading}:\n" + "\n".join(f"  - {p}" for p in self.problems))


class ProblemCollector:
    """Collects the problems of one source so that validation carries on past the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[ConfigProblem] = []

    def add(self, key: str, problem: str, fix: str) -> None:
        self.items.append(ConfigProblem(self.source, key, problem, fix))
