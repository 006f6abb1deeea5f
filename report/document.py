"""A report as format-neutral blocks. Sections build these; `report.html` and `report.markdown` render them.

Every string in a block is plain user-visible text: the renderers escape it, so a sweep named
`<script>alert(1)</script>` is shown as those characters and never interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Note:
    """A highlighted remark, e.g. why a section is empty ("no completed runs")."""

    text: str


@dataclass(frozen=True)
class Code:
    """Preformatted text, e.g. the sweep's spec as JSON."""

    text: str


@dataclass(frozen=True)
class Table:
    """`columns` headers and `rows` of already formatted cells; `numeric` marks right-aligned columns."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A PNG image. `name` is a stable file stem (Markdown writes `<name>.png`); `alt` describes it."""

    name: str
    png: bytes
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Gallery:
    """Figures laid out side by side (e.g. one learning-curve panel per run)."""

    figures: tuple[Figure, ...]


Block = Paragraph | Note | Code | Table | Figure | Gallery


@dataclass(frozen=True)
class Section:
    """One numbered part of the report; `id` is its stable HTML anchor (e.g. "leaderboard")."""

    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    footer: str = ""  # the one line that may change between renders of the same store (generation time)

    def figures(self) -> list[Figure]:
        """Every figure in document order."""
        out: list[Figure] = []
        for section in self.sections:
            for block in section.blocks:
                if isinstance(block, Figure):
                    out.append(block)
                elif isinstance(block, Gallery):
                    out.extend(block.figures)
        return out
