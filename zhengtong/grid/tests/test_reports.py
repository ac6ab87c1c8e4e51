import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.grid import reports, services
from zhengtong.grid.demo import REPORT_TEMPLATES
from zhengtong.grid.models import ManualFact, ReportRun, ReportTemplate
from zhengtong.grid.tests.conftest import CELL_1, inside


@pytest.fixture
def templates(grid):
    for spec in REPORT_TEMPLATES:
        reports.template_save(actor=grid.w.system, **spec)
    return {t.code: t for t in ReportTemplate.objects.all()}


def close(grid, incident):
    for action, actor in [
        ("register", grid.command),
        ("dispatch", grid.command),
        ("dispose", grid.command),
        ("verify", grid.worker),
        ("close", grid.command),
    ]:
        getattr(services, f"incident_{action}")(
            actor=actor,
            incident=incident,
            **({"unit": grid.w.beishan} if action == "dispatch" else {}),
        )


def test_templates_count_data_and_manual_fields(templates):
    monthly = templates["grid-incidents-monthly"]
    assert (monthly.data_field_count, monthly.manual_field_count) == (9, 1)
    assert reports.field_origin_counts(templates["disputes-monthly"]) == {"data": 6, "manual": 2, "all": 8}


def test_monthly_report_counts_from_data(grid, templates):
    period = timezone.localdate().strftime("%Y-%m")
    closed = grid.report(category="C0201")
    close(grid, closed)
    grid.report(category="E0701", attributes={"parties": "2"})
    grid.report(category="E0801", attributes={"severity": "1"})
    lat, lng = inside(CELL_1)
    services.patrol_check_in(actor=grid.worker, lat=lat, lng=lng, hazards_found=2)
    run = reports.report_produce(
        actor=grid.command,
        template=templates["grid-incidents-monthly"],
        org_unit=grid.w.beishan,
        period=period,
    )
    v = run.values
    assert (
        v["incidents_reported"],
        v["incidents_by_workers"],
        v["components_reported"],
        v["events_reported"],
    ) == (3, 3, 1, 2)
    assert (v["incidents_closed"], v["cells_reporting"], v["grid_workers"]) == (1, 1, 2)
    assert v["typical_case"] is None and run.missing == ["typical_case"]
    safety = reports.report_produce(
        actor=grid.command,
        template=templates["safety-patrol-monthly"],
        org_unit=grid.w.beishan,
        period=period,
    )
    assert (
        safety.values["patrols"],
        safety.values["hazards_on_patrol"],
        safety.values["hazards_reported"],
        safety.values["cells"],
    ) == (1, 2, 1, 2)
    disputes = reports.report_produce(
        actor=grid.command, template=templates["disputes-monthly"], org_unit=grid.w.beishan, period=period
    )
    assert disputes.values["disputes_found"] == 1 and disputes.values["disputes_neighbour"] == 1


def test_manual_fact_entered_once_serves_every_template(grid, templates):
    period = timezone.localdate().strftime("%Y-%m")
    for code in ("disputes-monthly", "safety-patrol-monthly"):
        reports.report_produce(
            actor=grid.command, template=templates[code], org_unit=grid.w.beishan, period=period
        )
    reports.fact_enter(
        actor=grid.command, org_unit=grid.w.beishan, key="mediators", period=period, value="12", standing=True
    )
    assert ManualFact.objects.count() == 1
    for code in ("disputes-monthly", "safety-patrol-monthly"):
        run = ReportRun.objects.get(template__code=code, org_unit=grid.w.beishan, period=period)
        assert run.values["mediators"] == "12" and "mediators" not in run.missing
    # A standing figure also serves next month without being entered again.
    run = reports.report_produce(
        actor=grid.command, template=templates["disputes-monthly"], org_unit=grid.w.beishan, period="2099-01"
    )
    assert run.values["mediators"] == "12"


def test_fact_enter_checks_key_value_and_scope(grid, templates):
    with pytest.raises(ValidationError):
        reports.fact_enter(
            actor=grid.command, org_unit=grid.w.beishan, key="nonsense", period="2026-01", value="1"
        )
    with pytest.raises(ValidationError):
        reports.fact_enter(
            actor=grid.command, org_unit=grid.w.beishan, key="typical_case", period="2026-13", value="x"
        )
    with pytest.raises(PermissionDenied):
        reports.fact_enter(
            actor=grid.yiwu_command, org_unit=grid.w.beishan, key="typical_case", period="2026-01", value="x"
        )
    assert ManualFact.objects.count() == 0


def test_exports_csv_and_xlsx(grid, templates):
    run = reports.report_produce(
        actor=grid.command,
        template=templates["grid-incidents-monthly"],
        org_unit=grid.w.beishan,
        period="2026-01",
    )
    reports.fact_enter(
        actor=grid.command,
        org_unit=grid.w.beishan,
        key="typical_case",
        period="2026-01",
        value="=HYPERLINK(1)",
    )
    run.refresh_from_db()
    text = reports.export_csv(run).decode("utf-8-sig")
    assert "本月上报事件数,0,from data" in text and "'=HYPERLINK(1)" in text
    wb = load_workbook(io.BytesIO(reports.export_xlsx(run)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[2][0] == "本月上报事件数" and rows[-1][1] == "'=HYPERLINK(1)"


def test_template_field_specs_are_validated(grid):
    with pytest.raises(ValidationError) as err:
        reports.template_save(
            actor=grid.w.system,
            code="bad",
            name="bad",
            fields=[{"key": "a", "label": "A", "source": "nowhere"}],
        )
    assert "source must be one of" in err.value.fields["fields[0]"][0]


def test_produce_due(grid, templates):
    assert reports.produce_due() == 3 * 2 * 2  # 3 templates × 2 townships with cells × 2 months
