"""The README's fenced code blocks, read as a test suite reads its cases.

Each block carries its language (`sh`, `toml`, `json`, ...), its first line number, the heading it sits under,
and its mark: the HTML comment right above its fence, which the rendered README does not show.

    <!-- readme: not run (downloads 55 MB; tests/data/test_download.py checks the download) -->
    <!-- readme: queue -->      runs in queue mode, with a real Redis and worker processes

A block without a mark runs as it is. A `not run` mark must say why and what checks the block instead.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
_MARK = re.compile(r"^<!-- readme: (?P<mark>.+?) -->\s*$")
_HEADING = re.compile(r"^#{1,6} (?P<title>.+)$")


@dataclass(frozen=True)
class Block:
    """One fenced block of the README."""

    lang: str
    text: str
    line: int  # of the opening fence, 1-based
    heading: str
    mark: str | None

    @property
    def id(self) -> str:
        return f"line-{self.line}-{self.lang or 'text'}"

    @property
    def not_run(self) -> bool:
        return self.mark is not None and self.mark.startswith("not run")

    @property
    def queue_mode(self) -> bool:
        return self.mark == "queue"

    def commands(self) -> list[str]:
        """The shell commands of an `sh` block: one per line (backslash continuations joined), comment-only
        and blank lines dropped, trailing comments kept (the shell ignores them)."""
        joined = self.text.replace("\\\n", " ")
        return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def read_blocks(path: Path = README) -> list[Block]:
    """Every fenced block of `path`, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    heading, mark = "", None
    index = 0
    while index < len(lines):
        line = lines[index]
        if (found := _HEADING.match(line)) is not None:
            heading, mark = found.group("title"), None
        elif (found := _MARK.match(line)) is not None:
            mark = found.group("mark")
        elif (fence := _FENCE.match(line)) is not None:
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            blocks.append(Block(fence.group("lang"), "\n".join(lines[index + 1 : end]) + "\n", index + 1, heading, mark))
            index, mark = end, None
        elif line.strip():
            mark = None  # a mark belongs to the block right below it
        index += 1
    return blocks


def command_words(command: str) -> list[str]:
    """A command's words as the shell splits them, without a trailing comment."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)
