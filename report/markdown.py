"""The report as Markdown: DIR/report.md plus one PNG file per figure beside it.

User text is escaped so it renders as typed: Markdown punctuation gets a backslash and `<`, `>`, `&` become
entities, so neither Markdown nor raw HTML in a sweep name or an error message is interpreted.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from core.output import check_output_folder, write_atomically
from report.document import Block, Code, Document, Figure, Gallery, Note, Paragraph, Section, Table

REPORT_FILE = "report.md"
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")
_LONGEST_BACKTICKS = re.compile(r"`+")


def md_escape(text: str) -> str:
    """`text` as literal Markdown on one line."""
    return _SPECIAL.sub(r"\\\1", escape(" ".join(text.split()), quote=False))


def render_markdown(document: Document) -> tuple[str, dict[str, bytes]]:
    """(the Markdown text, {file name: PNG bytes}) for `document`; figures are referenced by file name."""
    files: dict[str, bytes] = {}
    parts = [f"# {md_escape(document.title)}", md_escape(document.subtitle), _toc(document)]
    for number, section in enumerate(document.sections, start=1):
        parts.append(_section(number, section, files))
    parts.append(f"---\n\n{md_escape(document.footer)}")
    return "\n\n".join(parts) + "\n", files


def write_markdown(document: Document, directory: Path) -> Path:
    """Write report.md and its PNG files into `directory` (created if needed); returns report.md's path.

    Each file goes through `write_atomically`, so none of them replaces a symlink, a device or a FIFO."""
    text, files = render_markdown(document)
    check_output_folder(directory)
    directory.mkdir(exist_ok=True)
    for name, data in files.items():
        write_atomically(directory / name, data)
    path = directory / REPORT_FILE
    write_atomically(path, text.encode("utf-8"))
    return path


def _toc(document: Document) -> str:
    return "\n".join(
        f"{number}. [{md_escape(s.title)}](#{s.id})" for number, s in enumerate(document.sections, start=1)
    )


def _section(number: int, section: Section, files: dict[str, bytes]) -> str:
    heading = f'<a id="{section.id}"></a>\n\n## {number}. {md_escape(section.title)}'
    return "\n\n".join([heading, *(_block(block, files) for block in section.blocks)])


def _block(block: Block, files: dict[str, bytes]) -> str:
    if isinstance(block, Paragraph):
        return md_escape(block.text)
    if isinstance(block, Note):
        return f"> **Note:** {md_escape(block.text)}"
    if isinstance(block, Code):
        fence = "`" * max(3, 1 + max((len(m) for m in _LONGEST_BACKTICKS.findall(block.text)), default=0))
        return f"{fence}\n{block.text}\n{fence}"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block, files)
    if isinstance(block, Gallery):
        return "\n\n".join(_figure(figure, files) for figure in block.figures)
    raise TypeError(f"unknown block {type(block).__name__}")


def _table(table: Table) -> str:
    align = [("---:" if i in table.numeric else "---") for i in range(len(table.columns))]
    lines = [
        "| " + " | ".join(md_escape(c) for c in table.columns) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(md_escape(cell) for cell in row) + " |" for row in table.rows),
    ]
    caption = f"**{md_escape(table.caption)}**\n\n" if table.caption else ""
    return caption + "\n".join(lines)


def _figure(figure: Figure, files: dict[str, bytes]) -> str:
    name = f"{figure.name}.png"
    files[name] = figure.png
    caption = f"\n\n*{md_escape(figure.caption)}*" if figure.caption else ""
    return f"![{md_escape(figure.alt)}]({name}){caption}"
