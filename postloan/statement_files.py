"""The monthly statement as files: an XLSX workbook (every line) and a PDF (the summary, the margin, the claims).

Both are written in the site's language (Chinese) whoever asks. The PDF uses reportlab's built-in CID font
STSong-Light, which every PDF reader carries, so no font file ships with the application. Amounts are
written to the fen as numbers in the workbook (format ``#,##0.00``) and as text in the PDF.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from core.money import format_yuan
from postloan.statement_figures import PDF_DEMAND_LINES, DemandLine, StatementFigures

CJK_FONT = "STSong-Light"
AMOUNT_FORMAT = "#,##0.00"


def month_label(month: dt.date) -> str:
    return _("%(year)s-%(month)02d") % {"year": month.year, "month": month.month}


def summary_rows(figures: StatementFigures) -> list[tuple[str, Decimal | int]]:
    """The statement's headline figures in the order both files show them."""
    flows = figures.flows
    return [
        (_("Outstanding principal at month end"), figures.outstanding_principal),
        (_("Loans with principal outstanding"), figures.loans_outstanding),
        (_("Overdue principal at month end"), figures.overdue_principal),
        (_("Overdue interest at month end"), figures.overdue_interest),
        (_("Disbursed in the month"), flows["disbursed"]),
        (_("Principal repaid in the month"), flows["repaid_principal"]),
        (_("Interest repaid in the month"), flows["repaid_interest"]),
        (_("Penalty interest repaid in the month"), flows["repaid_penalty"]),
        (_("Compensated in the month"), figures.compensated_in_month),
        (_("of which principal"), flows["compensated_principal"]),
        (_("of which interest"), flows["compensated_interest"]),
        (_("of which penalty interest"), flows["compensated_penalty"]),
        (_("of which paid by the anchor from its own funds"), figures.anchor_paid_in_month),
        (_("Compensated to month end"), figures.compensated_to_date),
        (_("Reimbursed to the anchor by its farmers in the month"), flows["recovered_for_anchor"]),
        (_("Written off in the month"), figures.written_off_in_month),
        (_("Recovered after write-off in the month"), flows["recovered_after_write_off"]),
        (_("Margin opening balance"), figures.margin_opening),
        (_("Margin closing balance"), figures.margin_closing),
        (_("Margin required at month end"), figures.margin_required),
        (_("Margin shortfall"), figures.margin_shortfall),
        (_("Demanded in the month"), figures.demanded_in_month),
        (_("Open claims on the anchor"), figures.claims_open),
    ]


def _demand_header() -> list[str]:
    return [
        _("Raised on"),
        _("Loan"),
        _("Farmer"),
        _("Resident ID (masked)"),
        _("Amount demanded"),
        _("Deducted from the margin"),
        _("Left as a claim"),
        _("Status"),
    ]


def _demand_cells(line: DemandLine) -> list[object]:
    return [
        line.raised_on,
        line.loan_id,
        line.farmer_name,
        line.farmer_id_masked,
        line.amount,
        line.compensated,
        line.unrecovered,
        line.status_label,
    ]


# --- XLSX ----------------------------------------------------------------------------------------------


def _row(sheet: WriteOnlyWorksheet, values: Iterable[object], bold: bool = False) -> None:
    """One row; only the cells that need a style are made as cells (a month's demands may be 100,000 rows)."""
    cells: list[object] = []
    for value in values:
        if not bold and not isinstance(value, Decimal | dt.date):
            cells.append(value)
            continue
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, Decimal):
            cell.number_format = AMOUNT_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _title(figures: StatementFigures) -> str:
    return _("Monthly statement %(month)s") % {"month": month_label(figures.month)}


def statement_xlsx(figures: StatementFigures) -> bytes:
    """Four sheets: the summary, the margin movements, the demands raised in the month, the open claims."""
    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary"))
    summary.column_dimensions["A"].width = 36
    summary.column_dimensions["B"].width = 24
    _row(summary, [_title(figures)], bold=True)
    _row(summary, [_("Anchor"), figures.anchor_name])
    _row(summary, [_("Programme"), figures.program_name])
    _row(summary, [_("Period"), figures.month, figures.month_end])
    _row(summary, [])
    for label, value in summary_rows(figures):
        _row(summary, [label, value])

    margin = book.create_sheet(_("Margin"))
    _row(margin, [_("Date"), _("Kind"), _("Amount"), _("Reference"), _("Note")], bold=True)
    _row(margin, [figures.month, _("Opening balance"), figures.margin_opening])
    for move in figures.margin_moves:
        _row(margin, [move.day, move.kind_label, move.amount, move.reference, move.note])
    _row(margin, [figures.month_end, _("Closing balance"), figures.margin_closing], bold=True)

    for title, lines in ((_("Demands"), figures.demands), (_("Claims"), figures.claims)):
        sheet = book.create_sheet(title)
        _row(sheet, _demand_header(), bold=True)
        for line in lines:
            _row(sheet, _demand_cells(line))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------------


def _font() -> str:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format_yuan(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(rows: Sequence[Sequence[object]], widths: Sequence[float], font: str, header: bool = True) -> Table:
    table = Table([[_text(v) for v in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")))
    table.setStyle(TableStyle(style))
    return table


def statement_pdf(figures: StatementFigures, generated_on: dt.date) -> bytes:
    """The summary, the margin movements and the open claims; the demands listed up to ``PDF_DEMAND_LINES``."""
    font = _font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=14, leading=18, spaceAfter=4)
    heading = ParagraphStyle("heading", fontName=font, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    story: list[Flowable] = [
        Paragraph(_title(figures), title_style),
        Paragraph(f"{_('Anchor')}: {figures.anchor_name}　{_('Programme')}: {figures.program_name}", body),
        Paragraph(
            f"{_('Period')}: {figures.month.isoformat()} – {figures.month_end.isoformat()}　"
            f"{_('Generated on business date')}: {generated_on.isoformat()}",
            body,
        ),
        Paragraph(_("Amounts in yuan, to the fen."), body),
        Paragraph(_("Summary"), heading),
        _table([(label, value) for label, value in summary_rows(figures)], [90 * mm, 50 * mm], font, header=False),
        Paragraph(_("Margin movements"), heading),
    ]
    margin_rows: list[list[object]] = [[_("Date"), _("Kind"), _("Amount"), _("Reference")]]
    margin_rows.append([figures.month, _("Opening balance"), figures.margin_opening, ""])
    margin_rows += [[m.day, m.kind_label, m.amount, m.reference] for m in figures.margin_moves]
    margin_rows.append([figures.month_end, _("Closing balance"), figures.margin_closing, ""])
    story.append(_table(margin_rows, [25 * mm, 50 * mm, 35 * mm, 60 * mm], font))
    widths = [18 * mm, 14 * mm, 20 * mm, 32 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm]
    for title, lines in ((_("Demands raised in the month"), figures.demands), (_("Open claims"), figures.claims)):
        story.append(Paragraph(f"{title} ({len(lines)})", heading))
        if lines:
            shown = lines[:PDF_DEMAND_LINES]
            story.append(_table([_demand_header(), *(_demand_cells(line) for line in shown)], widths, font))
            if len(lines) > len(shown):
                story.append(
                    Paragraph(
                        _("The first %(shown)s of %(total)s lines; the workbook lists them all.")
                        % {"shown": len(shown), "total": len(lines)},
                        body,
                    )
                )
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=_title(figures),
        invariant=1,
    ).build(story)
    return out.getvalue()
