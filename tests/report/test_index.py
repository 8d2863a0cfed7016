import json

from workbench.headline import Headline, Metric
from workbench.report.index import build_index, duration
from workbench.session import Run


def _run(reports, name, stage_values, headline=None, started="2026-01-01T00:00:00"):
    run_dir = reports / "exp" / name
    run_dir.mkdir(parents=True)
    info = {"experiment": "exp", "status": "ok", "started": started, "notebooks": [], "metrics": stage_values,
            "headlines": headline or {}}
    (run_dir / "run.json").write_text(json.dumps(info))


def test_index_columns_and_footnote_come_from_the_declarations(tmp_path):
    decl = Headline("01_x", (Metric("n", "rows", "{:,.0f}", "Rows: what was counted."),
                             Metric("share", "share", "{:.1%}")))
    _run(tmp_path, "old", {"01_x": {"n": 5}}, {"01_x": decl.spec()}, started="2026-01-01T00:00:00")
    _run(tmp_path, "new", {"01_x": {"n": 12345, "share": 0.25, "hidden": 7}}, {"01_x": decl.spec()},
         started="2026-01-02T00:00:00")
    page = build_index(tmp_path).read_text()
    assert "<th>rows</th><th>share</th>" in page
    assert "<td>12,345</td><td>25.0%</td>" in page and "<td>5</td><td></td>" in page  # a missing value is blank
    assert "Rows: what was counted." in page and "hidden" not in page


def test_a_logged_headline_is_kept_with_its_declaration(tmp_path):
    cfg = {"experiment": {"threads": 1}}
    run = Run(cfg, tmp_path)
    decl = Headline("02_y", (Metric("best", "best model"),))
    run.log_headline(decl.of(best="lightgbm", detail={"a": 1}))
    assert json.loads((tmp_path / "metrics" / "02_y.json").read_text()) == {"best": "lightgbm", "detail": {"a": 1}}
    assert json.loads((tmp_path / "metrics" / "headline" / "02_y.json").read_text()) == decl.spec()


def test_durations_read_naturally():
    assert [duration(s) for s in (45, 750, 9000)] == ["45 s", "12.5 min", "2.5 h"]
