"""A register exported to XLSX the way an office files it: a header block (office, register, period, exported
by, exported at), the column headings, then numbered lines. openpyxl's write-only mode writes each line to
disk as it comes, so an export of 50,000 lines never holds the register in memory."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from sqlalchemy.orm import Session

from models import Section
from services import assets
from services.ledgers.base import Filters, Ledger, label, local_time

OFFICE = ("市人民政府办公室", "Municipal Government Office")
HEADER_LABELS = {
    "office": ("单位", "Office"),
    "ledger": ("台账名称", "Register"),
    "period": ("期间", "Period"),
    "filters": ("筛选条件", "Filters"),
    "exported_by": ("导出人", "Exported by"),
    "exported_at": ("导出时间", "Exported at"),
    "number": ("序号", "No."),
    "all_dates": ("全部日期", "All dates"),
    "no_filter": ("无", "None"),
    "section": ("科室", "Section"),
    "classification": ("密级", "Classification"),
}
# The data begins after the header block, one blank line and the column headings: readers (and the tests)
# find the headings on this line.
HEADING_ROW = 8


@dataclass(frozen=True)
class ExportHeader:
    office: str
    ledger: str
    period: str
    filters: str
    exported_by: str
    exported_at: datetime


def period_text(filters: Filters, locale: str) -> str:
    """The period as the header block writes it: both ends, an open end as …, or all dates."""
    if not (filters.period_from or filters.period_to):
        return label(HEADER_LABELS["all_dates"], locale)
    start = filters.period_from.isoformat() if filters.period_from else "…"
    end = filters.period_to.isoformat() if filters.period_to else "…"
    return f"{start} — {end}"


def filters_text(session: Session, ledger: Ledger, filters: Filters, locale: str) -> str:
    """The other filters in words: section, classification, status."""
    colon, separator = (": ", "; ") if locale.startswith("en") else ("：", "；")
    parts = []
    if filters.section_id:
        section = session.get(Section, filters.section_id)
        parts.append(label(HEADER_LABELS["section"], locale) + colon
                     + (section.name(locale) if section else str(filters.section_id)))
    if filters.classification:
        parts.append(label(HEADER_LABELS["classification"], locale) + colon
                     + label(assets.CLASSIFICATIONS.get(filters.classification), locale))
    if filters.status:
        parts.append(label(ledger.status_heading, locale) + colon + label(ledger.statuses.get(filters.status), locale))
    return separator.join(parts) or label(HEADER_LABELS["no_filter"], locale)


def header_for(ledger: Ledger, locale: str, period: str, filters: str, exported_by: str, exported_at: datetime,
               office: tuple[str, str] | None = None) -> ExportHeader:
    return ExportHeader(office=label(office or OFFICE, locale), ledger=ledger.name(locale), period=period,
                        filters=filters, exported_by=exported_by, exported_at=exported_at)


def write_xlsx(out: IO[bytes], ledger: Ledger, header: ExportHeader, rows: Iterable[list], locale: str) -> int:
    """Write the register to `out` as XLSX; returns the number of lines written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=ledger.key[:31])
    bold = Font(bold=True)

    def cell(value, font=None):
        c = WriteOnlyCell(sheet, value=value)
        if font is not None:
            c.font = font
        return c

    for key, value in (("office", header.office), ("ledger", header.ledger), ("period", header.period),
                       ("filters", header.filters),
                       ("exported_by", header.exported_by), ("exported_at", local_time(header.exported_at))):
        sheet.append([cell(label(HEADER_LABELS[key], locale), bold), value])
    sheet.append([])
    headings = [cell(label(HEADER_LABELS["number"], locale), bold)] + [cell(h, bold) for h in ledger.headings(locale)]
    sheet.append(headings)
    count = 0
    for count, values in enumerate(rows, start=1):
        sheet.append([count] + [_plain(v) for v in values])
    workbook.save(out)
    return count


def _plain(value):
    # Text stays text (a register number like 0012 keeps its zeros); numbers stay numbers for sums.
    return value if isinstance(value, (int, float)) or value is None else str(value)
