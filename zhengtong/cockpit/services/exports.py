"""Any cockpit view as an XLSX workbook or as a PDF briefing (简报), for the viewer's unit and
period only (the same ``services.dashboard.cockpit`` data the page shows, so the checks are the
same)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib.units import mm

from zhengtong.audit import services as audit
from zhengtong.cockpit.services.dashboard import cockpit
from zhengtong.seals.pdf import DocumentSpec, bar_chart, data_table, heading, render_pdf

BANDS = {"ok": "正常", "warning": "提示", "alert": "预警", "": ""}


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def _figure_rows(data: dict) -> list[list]:
    return [
        [f["indicator"].name, f["indicator"].unit, f["value"], f["previous"], f["change"], f["band"] or ""]
        for f in data["figures"]
    ]


def cockpit_xlsx(*, actor: Any, unit: Any, period: Any, map_indicator: str | None = None) -> bytes:
    """The cockpit as a workbook: figures, regions, departments, daily trend."""
    data = cockpit(actor=actor, unit=unit, period=period, map_indicator=map_indicator)
    ind = data["indicator"]
    wb = Workbook()
    ws = wb.active
    ws.title = "指标 Figures"
    ws.append([f"{unit.name} {period.day_from}—{period.day_to}"])
    ws.append(["指标", "单位", "本期", "上期", "变化", "预警"])
    for row in _figure_rows(data):
        ws.append(row)
    for sheet, header, rows in (
        (
            "地区 Regions",
            ["区划代码", "地区", ind.name],
            [[r["code"], r["name"], r["value"]] for r in data["regions"]],
        ),
        ("部门 Departments", ["部门", ind.name], [[r["name"], r["value"]] for r in data["departments"]]),
        ("趋势 Trend", ["日期", ind.name], [[r["day"], r["value"]] for r in data["trend"]]),
    ):
        ws = wb.create_sheet(sheet)
        ws.append(header)
        for row in rows:
            ws.append(row)
    for ws in wb.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    audit.record(actor=actor, action="cockpit.export", target=unit, org_unit=unit, after={"format": "xlsx"})
    return out.getvalue()


def cockpit_pdf(*, actor: Any, unit: Any, period: Any, map_indicator: str | None = None) -> bytes:
    """The cockpit as a PDF briefing: summary paragraphs, the figures table, the chosen
    indicator by region (chart and table) and the open alerts."""
    data = cockpit(actor=actor, unit=unit, period=period, map_indicator=map_indicator)
    ind = data["indicator"]
    names = {f["code"]: f["indicator"].name for f in data["figures"]}
    worse = [f for f in data["figures"] if f["better"] is False]
    better = [f for f in data["figures"] if f["better"] is True]
    paragraphs = [
        f"本简报反映{unit.name}{period.day_from:%Y年%m月%d日}至{period.day_to:%Y年%m月%d日}（{period.days}天）"
        f"数字政府运行情况，数据取自平台指标库，与驾驶舱所示一致，可在驾驶舱逐项下钻核对。",
        f"与上一周期相比，{len(better)}项指标向好，{len(worse)}项指标变差"
        + (f"，其中{'、'.join(f['indicator'].name for f in worse[:5])}需关注。" if worse else "。"),
    ]
    if data["alerts"]:
        paragraphs.append(f"当前有{len(data['alerts'])}条预警未处理。")
    blocks = [
        heading("一、主要指标"),
        data_table(
            ["指标", "单位", "本期", "上期", "变化", "预警"],
            [[*(_fmt(v) for v in r[:5]), BANDS.get(r[5], r[5])] for r in _figure_rows(data)],
            col_widths=[44 * mm, 18 * mm, 26 * mm, 26 * mm, 24 * mm, 18 * mm],
        ),
    ]
    if data["regions"]:
        blocks += [
            heading(f"二、各地区{ind.name}"),
            bar_chart([r["name"] for r in data["regions"]], [r["value"] or 0 for r in data["regions"]]),
            data_table(
                ["地区", f"{ind.name}（{ind.unit}）"],
                [[r["name"], _fmt(r["value"])] for r in data["regions"]],
            ),
        ]
    if data["alerts"]:
        blocks += [
            heading("三、预警"),
            data_table(
                ["日期", "地区", "指标", "数值", "阈值"],
                [
                    [str(a.day), a.org_unit.name, names.get(a.code, a.code), _fmt(a.value), _fmt(a.threshold)]
                    for a in data["alerts"]
                ],
            ),
        ]
    spec = DocumentSpec(
        title=f"{unit.name}数字政府运行简报",
        issuer=f"{unit.name}数字驾驶舱",
        paragraphs=paragraphs,
        date=timezone.localdate(),
        signer=f"{unit.name}数字驾驶舱",
    )
    pdf = render_pdf(spec, blocks=blocks)
    audit.record(actor=actor, action="cockpit.export", target=unit, org_unit=unit, after={"format": "pdf"})
    return pdf
