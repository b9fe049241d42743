"""The approval sheet as a PDF (A4), drawn with reportlab from the same document as the print page.
Chinese is set in reportlab's built-in CID font STSong-Light, so no font file has to be installed."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.approval_sheet import ApprovalSheet

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BASE = ParagraphStyle("sheet", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
_SMALL = ParagraphStyle("small", parent=_BASE, fontSize=9, leading=12)
_OFFICE = ParagraphStyle("office", parent=_BASE, fontSize=12, leading=16, alignment=1)
_TITLE = ParagraphStyle("title", parent=_BASE, fontSize=17, leading=24, alignment=1, spaceAfter=3 * mm)
_HEADING = ParagraphStyle("heading", parent=_BASE, fontSize=11.5, leading=16, spaceBefore=4 * mm, spaceAfter=1.5 * mm)
_CELL = ParagraphStyle("cell", parent=_BASE, fontSize=9.5, leading=13)
_HEAD_CELL = ParagraphStyle("head", parent=_CELL, alignment=1)
WIDTH = A4[0] - 30 * mm


def render(sheet: ApprovalSheet) -> bytes:
    """The sheet as PDF bytes."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=f"{sheet.title} {sheet.business_key}",
                            author=sheet.office, subject=sheet.label("sheet"))
    doc.build(_story(sheet), onFirstPage=_footer(sheet), onLaterPages=_footer(sheet))
    return out.getvalue()


def _p(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _grid(rows: list[list], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _story(sheet: ApprovalSheet) -> list:
    s = sheet.label
    story = [_p(sheet.office, _OFFICE), _p(sheet.title, _TITLE)]
    facts = [(s("case"), sheet.business_key), (s("status"), sheet.status), (s("applicant"), sheet.applicant),
             (s("section"), sheet.section), (s("submitted"), sheet.submitted), (s("closed"), sheet.closed or "—"),
             (s("procedure"), sheet.procedure), (s("version"), str(sheet.version))]
    pairs = [facts[i:i + 2] for i in range(0, len(facts), 2)]
    rows = [[_p(a), _p(b), _p(c), _p(d)] for (a, b), (c, d) in pairs]
    story.append(_grid(rows, [25 * mm, WIDTH / 2 - 25 * mm, 25 * mm, WIDTH / 2 - 25 * mm], header=False))

    story.append(_p(s("application"), _HEADING))
    story.append(_grid([[_p(k), _p(v)] for k, v in sheet.data] or [[_p("—"), _p("")]],
                       [45 * mm, WIDTH - 45 * mm], header=False))
    if sheet.assets:
        story.append(_p(s("assets"), _HEADING))
        rows = [[_p(s("register_number"), _HEAD_CELL), _p(s("kind"), _HEAD_CELL), _p(s("classification"), _HEAD_CELL)]]
        rows += [[_p(a), _p(b), _p(c)] for a, b, c in sheet.assets]
        story.append(_grid(rows, [WIDTH - 70 * mm, 40 * mm, 30 * mm]))
    if sheet.recorded:
        story.append(_p(s("recorded"), _HEADING))
        rows = [[_p(f"{k}"), _p(v), _p(step)] for k, v, step in sheet.recorded]
        story.append(_grid(rows, [45 * mm, WIDTH - 90 * mm, 45 * mm], header=False))

    story.append(_p(s("chain"), _HEADING))
    head = ["number", "step", "role", "person", "decision", "comment", "time"]
    rows = [[_p(s(k), _HEAD_CELL) for k in head]]
    rows += [[_p(str(n)), _p(line.step), _p(line.role), _p(line.person), _p(line.decision), _p(line.comment),
              _p(line.time)] for n, line in enumerate(sheet.chain, 1)]
    story.append(_grid(rows, [10 * mm, 30 * mm, 24 * mm, 17 * mm, 17 * mm, WIDTH - 129 * mm, 31 * mm]))
    if sheet.attachments:
        story.append(_p(s("attachments"), _HEADING))
        story.append(_p("；".join(f"{n}. {name}" for n, name in enumerate(sheet.attachments, 1)), _SMALL))
    story.append(Spacer(1, 12 * mm))
    signatures = Table([[_p(f"{s('filed_by')}："), "", _p(f"{s('date')}："), ""]],
                       colWidths=[55 * mm, 60 * mm, 15 * mm, 40 * mm], hAlign="LEFT")
    # Blank lines to sign and date on, as on the registers' paper.
    signatures.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                                    ("LINEBELOW", (3, 0), (3, 0), 0.6, colors.black),
                                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    story.append(signatures)
    return story


def _footer(sheet: ApprovalSheet):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 9 * mm, f"{sheet.label('printed_by')}：{sheet.printed_by}    "
                                           f"{sheet.label('printed_at')}：{sheet.printed_at}    {sheet.business_key}")
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"{doc.page}")
        canvas.restoreState()
    return draw
