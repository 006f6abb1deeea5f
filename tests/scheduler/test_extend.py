"""`submit --extend`: every extending spec is recorded with when it was submitted, the report's summary shows
each one after the sweep's own spec, and a spec of another name is announced in one line."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from db import dispose_engines, open_store, session_scope
from db.queries import get_sweep, sweep_extensions
from report.build import build_document
from report.html import render_html
from report.markdown import render_markdown
from scheduler.spec import load_spec
from scheduler.submit import extension_notice, store_sweep

from ..data.test_cli import run as run_cli  # main(argv) -> (exit code, stdout, stderr)

BASE = 'name = "base"\n[fixed]\ndataset = "digits"\nepochs = 2\nhidden = [8]\n[grid]\nseed = [0, 1]\n'
MORE_SEEDS = BASE.replace('"base"', '"more-seeds"').replace("[0, 1]", "[0, 1, 2, 3]")
WIDER = BASE.replace('"base"', '"wider"').replace("hidden = [8]\n", "").replace("[grid]", "[grid]\nhidden = [[16]]")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def engine(sqlite_url: str):
    yield open_store(sqlite_url, create=True)
    dispose_engines()


def test_every_extension_is_recorded_in_order_with_its_spec(tmp_path: Path, engine) -> None:
    with session_scope(engine) as session:
        base = store_sweep(session, load_spec(write(tmp_path, "base.toml", BASE)))
        more = store_sweep(session, load_spec(write(tmp_path, "more.toml", MORE_SEEDS)), extend=base.sweep_id)
        wider = store_sweep(session, load_spec(write(tmp_path, "wider.toml", WIDER)), extend=base.sweep_id)
    assert (more.sweep_id, more.sweep_name, more.new) == (base.sweep_id, "base", 2)
    assert (wider.sweep_name, wider.new) == ("base", 2)
    with session_scope(engine) as session:
        sweep = get_sweep(session, base.sweep_id)
        first, second = sweep_extensions(session, base.sweep_id)
    assert (sweep.name, sweep.spec["grid"]) == ("base", {"seed": [0, 1]})  # the sweep keeps its own spec
    assert (first.spec["name"], first.spec["grid"]) == ("more-seeds", {"seed": [0, 1, 2, 3]})
    assert (second.spec["name"], second.spec["grid"]) == ("wider", {"hidden": [[16]], "seed": [0, 1]})
    assert sweep.created_at <= first.submitted_at <= second.submitted_at


def test_a_spec_of_another_name_is_announced_in_one_line(tmp_path: Path, engine) -> None:
    base_spec = load_spec(write(tmp_path, "base.toml", BASE))
    other = load_spec(write(tmp_path, "more.toml", MORE_SEEDS))
    with session_scope(engine) as session:
        base = store_sweep(session, base_spec)
        same = store_sweep(session, base_spec, extend=base.sweep_id)
        extended = store_sweep(session, other, extend=base.sweep_id)
    assert extension_notice(base_spec, base) is None
    assert extension_notice(base_spec, same) is None
    assert extension_notice(other, extended) == (
        f"mnistq: note: spec 'more-seeds' ({tmp_path / 'more.toml'}) extends sweep {base.sweep_id} 'base', "
        "which keeps its name; the report lists every extension"
    )


def test_the_report_shows_the_sweeps_spec_and_every_extension(tmp_path: Path, engine) -> None:
    with session_scope(engine) as session:
        base = store_sweep(session, load_spec(write(tmp_path, "base.toml", BASE)))
        store_sweep(session, load_spec(write(tmp_path, "more.toml", MORE_SEEDS)), extend=base.sweep_id)
        store_sweep(session, load_spec(write(tmp_path, "wider.toml", WIDER)), extend=base.sweep_id)
        extensions = sweep_extensions(session, base.sweep_id)
        document = build_document(session, base.sweep_id)
    page = html.unescape(render_html(document))
    summary = page[page.index('<section id="summary">') : page.index("</section>")]
    assert "The sweep spec as submitted, then the 2 specs that extended it (mnistq submit --extend):" in summary
    first, second = extensions
    for number, extension, name, grid in ((1, first, "more-seeds", "3\n    ]"), (2, second, "wider", '"hidden"')):
        when = f"{extension.submitted_at:%Y-%m-%d %H:%M:%S} UTC"
        assert f"Extension {number} “{name}”, submitted {when}:" in summary
        assert grid in summary.split(f"Extension {number} ")[1]  # its spec follows its heading
    assert summary.index("Extension 1") < summary.index("Extension 2")
    markdown, _ = render_markdown(document)
    assert "Extension 1" in markdown and "Extension 2" in markdown


def test_a_sweep_never_extended_shows_only_its_spec(tmp_path: Path, engine) -> None:
    with session_scope(engine) as session:
        base = store_sweep(session, load_spec(write(tmp_path, "base.toml", BASE)))
        page = html.unescape(render_html(build_document(session, base.sweep_id)))
    assert "The sweep spec as submitted:" in page and "Extension 1" not in page


def test_submit_extend_prints_the_note_when_the_names_differ(
    tmp_path: Path, queue_env: str, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["submit", str(write(tmp_path, "base.toml", BASE))], capfd)[0] == 0
    code, _, err = run_cli(["submit", "--extend", "1", str(write(tmp_path, "base2.toml", BASE))], capfd)
    assert code == 0 and "note" not in err  # the same name: nothing to say
    code, _, err = run_cli(["submit", "--extend", "latest", str(write(tmp_path, "more.toml", MORE_SEEDS))], capfd)
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("mnistq: note:")]
    assert notes == [
        f"mnistq: note: spec 'more-seeds' ({tmp_path / 'more.toml'}) extends sweep 1 'base', which keeps its "
        "name; the report lists every extension"
    ]
    with session_scope(open_store(queue_env)) as session:
        assert [e.spec["name"] for e in sweep_extensions(session, 1)] == ["base", "more-seeds"]
