"""The README and the `mnistq` command tree agree: every subcommand and every flag of it is documented on a
line that names the command, and every flag the README gives a command exists."""

from __future__ import annotations

import re

import click
import pytest

from scheduler.cli import cli

from .readme_blocks import README, command_words

UNDOCUMENTED = {"--help", "-h", "--version"}  # every command has them; the README says so once


def command_tree() -> dict[str, click.Command]:
    """'submit', 'db upgrade', 'data describe', ...: every leaf command by its path."""
    context = click.Context(cli)
    found: dict[str, click.Command] = {}

    def walk(group: click.Group, prefix: str) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None, name
            path = f"{prefix}{name}"
            if isinstance(command, click.Group):
                walk(command, path + " ")
            else:
                found[path] = command

    walk(cli, "")
    return found


def flags(command: click.Command) -> set[str]:
    """Every option string of `command` (--long, -s, and --no-x forms)."""
    return {
        opt for param in command.params if isinstance(param, click.Option) for opt in (*param.opts, *param.secondary_opts)
    }


def readme_lines() -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()


def readme_code() -> list[str]:
    """The README's code: every line of its fenced blocks and every inline `code` span (prose left out)."""
    code, fenced = [], False
    for line in readme_lines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            code.append(line)
        else:
            code += re.findall(r"`([^`]+)`", line)
    return code


def mentions(path: str) -> list[str]:
    """README lines that show `mnistq PATH` (as a command, in a block or in inline code)."""
    pattern = re.compile(rf"mnistq {re.escape(path)}(?![\w-])")
    return [line for line in readme_lines() if pattern.search(line)]


TREE = command_tree()


@pytest.mark.parametrize("path", sorted(TREE))
def test_every_command_and_its_flags_are_in_the_readme(path: str) -> None:
    lines = mentions(path)
    assert lines, f"README never shows `mnistq {path}`"
    missing = sorted(
        flag
        for flag in flags(TREE[path]) - UNDOCUMENTED
        if not any(re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", line) for line in lines)
    )
    assert not missing, f"`mnistq {path}` flags not on any README line that shows the command: {missing}"


def readme_invocations() -> list[tuple[str, list[str]]]:
    """(command path, the flags given to it) for every `mnistq ...` invocation the README writes."""
    found = []
    for line in readme_code():
        for match in re.finditer(r"(?<![\w/.-])mnistq ([^`|;&>]+)", line):
            try:
                words = command_words(match.group(1))
            except ValueError:  # an unbalanced quote inside prose
                continue
            path = _command_path(words)
            if path is not None:
                found.append((path, [w.split("=", 1)[0] for w in words if w.startswith("-")]))
    return found


def _command_path(words: list[str]) -> str | None:
    for length in (2, 1):
        path = " ".join(words[:length])
        if path in TREE:
            return path
    return None


def test_every_flag_the_readme_gives_a_command_exists() -> None:
    invocations = readme_invocations()
    assert len(invocations) >= len(TREE)
    unknown = sorted(
        {f"mnistq {path} {flag}" for path, given in invocations for flag in given if flag not in flags(TREE[path]) | UNDOCUMENTED}
    )
    assert not unknown, f"the README gives flags these commands do not have: {unknown}"


def test_the_readme_names_no_command_that_does_not_exist() -> None:
    groups = {path.split()[0] for path in TREE}
    named = set()
    for code in readme_code():
        named |= set(re.findall(r"(?<![\w/.-])mnistq ([a-z][a-z-]+)(?![\w-])", code))
    assert named - groups == set()
