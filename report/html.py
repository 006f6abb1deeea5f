"""One self-contained HTML page: inline CSS, figures as data: URIs, no script, nothing fetched.

All text goes through `html.escape` here and nowhere else, so sections pass plain strings.
"""

from __future__ import annotations

import base64
from html import escape

from report.document import Block, Code, Document, Figure, Gallery, Note, Paragraph, Section, Table

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d2330;
       margin: 0; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: #fff; }
header h1 { margin: 0 0 4px; font-size: 24px; word-break: break-word; }
header p { margin: 0 0 12px; color: #5a6270; }
nav ol { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; padding: 0; margin: 0 0 8px; }
nav a { color: #2a5db0; text-decoration: none; }
section { border-top: 1px solid #e3e6ea; padding-top: 8px; margin-top: 20px; }
h2 { font-size: 19px; margin: 8px 0 10px; }
p { margin: 6px 0 10px; max-width: 80em; }
.note { background: #fff7e0; border-left: 4px solid #f0b400; padding: 6px 10px; }
table { border-collapse: collapse; margin: 8px 28px 14px 0; font-size: 13px; display: inline-table;
        vertical-align: top; }
caption { text-align: left; font-weight: 600; padding: 2px 0 4px; white-space: nowrap; }
th, td { border: 1px solid #dde1e6; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { max-width: 46em; overflow-wrap: break-word; }
pre { background: #f3f4f6; padding: 8px 10px; overflow: auto; max-height: 22em; font-size: 12px; }
figure { margin: 8px 0 14px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eceef1; }
figcaption { font-size: 12px; color: #5a6270; }
.gallery { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: flex-start; }
.gallery figure { margin: 4px 0; }
footer { margin-top: 28px; color: #8a919c; font-size: 12px; }
"""


def render_html(document: Document) -> str:
    """The page for `document` as a string (UTF-8 when written)."""
    toc = "".join(
        f'<li><a href="#{escape(s.id)}">{number}. {escape(s.title)}</a></li>'
        for number, s in enumerate(document.sections, start=1)
    )
    body = "\n".join(_section(number, section) for number, section in enumerate(document.sections, start=1))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(document.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header id="top"><h1>{escape(document.title)}</h1><p>{escape(document.subtitle)}</p>'
        f"<nav><ol>{toc}</ol></nav></header>\n"
        f"{body}\n"
        f'<footer id="footer">{escape(document.footer)}</footer>\n'
        "</main>\n</body>\n</html>\n"
    )


def _section(number: int, section: Section) -> str:
    blocks = "\n".join(_block(block) for block in section.blocks)
    return f'<section id="{escape(section.id)}">\n<h2>{number}. {escape(section.title)}</h2>\n{blocks}\n</section>'


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Note):
        return f'<p class="note">{escape(block.text)}</p>'
    if isinstance(block, Code):
        return f"<pre>{escape(block.text)}</pre>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block)
    if isinstance(block, Gallery):
        return '<div class="gallery">' + "".join(_figure(f) for f in block.figures) + "</div>"
    raise TypeError(f"unknown block {type(block).__name__}")


def _table(table: Table) -> str:
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in table.numeric else "text"}">{escape(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _figure(figure: Figure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    caption = f"<figcaption>{escape(figure.caption)}</figcaption>" if figure.caption else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.alt)}">{caption}</figure>'
