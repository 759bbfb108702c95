"""Blameless wording: a post-mortem examines systems and changes, not people's faults."""

from __future__ import annotations

import re
from dataclasses import dataclass

BLAME = re.compile(
    r"\b(human error|(his|her|their|\w+'s) fault|should have known|careless(ly|ness)?|"
    r"negligen(t|ce)|incompeten(t|ce)|blame[sd]?|screwed up|messed up|sloppy|lazy)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class BlameFinding:
    section: str
    excerpt: str

    @property
    def message(self) -> str:
        return (
            f"{self.section}: {self.excerpt!r} points at a person; describe what in the system "
            "or process allowed it (a missing check, an unclear step)"
        )


def blame_findings(sections: dict[str, object]) -> list[BlameFinding]:
    """Every blaming phrase in the text sections of a post-mortem."""
    found: list[BlameFinding] = []
    for name, value in sections.items():
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and (match := BLAME.search(text)):
                found.append(BlameFinding(name, match.group(0)))
    return found
