"""The pick list (拣货单) of a wave, A4: one row per SKU in walking order (库位, 编码, 名称, 规格, 数量) with the slots
each unit goes to, then a slot → order table so a packer knows which order a slot holds.

Every page repeats the wave id, the creation time (Asia/Shanghai), the totals and the table header, and ends with
"第 n / N 页", so a dropped sheet can be put back. Rows never split across pages. Rows are printed in the natural
order of bin locations (``domain.fulfilment.waves.bin_sort_key``) whatever order they are given in.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kuaifa.documents.fonts import LATIN, cjk_font
from kuaifa.documents.layout import Column, Table, china_time
from kuaifa.documents.model import PickListData, PickRow
from kuaifa.domain.fulfilment.waves import Wave, bin_sort_key

MARGIN = 12 * mm
HEADER_HEIGHT = 30 * mm
FOOTER_HEIGHT = 12 * mm
SLOT_TITLE = "分拣格 → 订单"
SLOT_TITLE_HEIGHT = 10 * mm


def pick_list_from_wave(
    wave: Wave, *, wave_id: str, created_at: datetime, sku_names: Mapping[int, str], warehouse: str = ""
) -> PickListData:
    """The printable pick list of a planned wave; ``sku_names`` maps sku_id to the name printed beside the code."""
    rows = tuple(
        PickRow(line.bin_location, line.sku_code, sku_names.get(line.sku_id, ""), line.quantity, line.slots)
        for line in wave.pick_list
    )
    return PickListData(wave_id, created_at, rows, len(wave.orders), warehouse)


def slots_text(slots: tuple[tuple[int, int], ...]) -> str:
    """``#1×2  #3×1``: slot number and how many units go into it."""
    return "  ".join(f"#{slot}×{qty}" for slot, qty in slots)


def render_pick_list(data: PickListData) -> bytes:
    """The pick list as an A4 PDF: the SKU rows in walking order, then which order each slot holds."""
    font = cjk_font()
    width, height = A4
    table = Table(
        columns=(
            Column("序号", 10 * mm, "right", LATIN),
            Column("库位", 22 * mm),
            Column("商品编码", 32 * mm),
            Column("名称", 38 * mm),
            Column("规格", 26 * mm),
            Column("数量", 13 * mm, "right", LATIN),
            Column("分拣格 × 件", width - 2 * MARGIN - 141 * mm, font=LATIN),
        ),
        font=font,
        size=10,
        leading=13,
        padding=3,
    )
    slot_table = Table(
        columns=(
            Column("分拣格", 20 * mm, "right", LATIN),
            Column("订单号", 80 * mm, font=LATIN),
            Column("件数", 16 * mm, "right", LATIN),
        ),
        font=font,
        size=10,
        leading=13,
        padding=3,
    )
    rows = sorted(data.rows, key=lambda r: (bin_sort_key(r.bin_location), r.sku_code))
    wrapped = [
        table.wrap_row(
            [str(n), r.bin_location or "—", r.sku_code, r.name, r.spec, str(r.quantity), slots_text(r.slots)]
        )
        for n, r in enumerate(rows, start=1)
    ]
    slot_rows = [slot_table.wrap_row([f"#{slot}", sn, str(units)]) for slot, sn, units in data.slot_orders]
    body = height - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT
    pages: list[list[tuple[Table, list, str]]] = [
        [(table, [wrapped[i] for i in page], "")] for page in table.paginate(wrapped, body)
    ]
    if slot_rows:
        # the slot table starts below the last SKU row when its header and first rows fit there
        last = pages[-1][0][1]
        room = body - table.header_height - sum(table.row_height(r) for r in last) - SLOT_TITLE_HEIGHT
        fitting, used = 0, slot_table.header_height
        while fitting < len(slot_rows) and used + slot_table.row_height(slot_rows[fitting]) <= room:
            used += slot_table.row_height(slot_rows[fitting])
            fitting += 1
        if fitting:
            pages[-1].append((slot_table, slot_rows[:fitting], SLOT_TITLE))
        rest = slot_rows[fitting:]
        for page in slot_table.paginate(rest, body - SLOT_TITLE_HEIGHT) if rest else []:
            pages.append([(slot_table, [rest[i] for i in page], SLOT_TITLE)])
    created = china_time(data.created_at)
    units = sum(r.quantity for r in rows)

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1, initialFontName=LATIN)
    canvas.setTitle(f"拣货单 {data.wave_id}")
    canvas.setCreator("Kuaifa")
    for number, sections in enumerate(pages, start=1):
        top = height - MARGIN
        canvas.setFont(font, 18)
        canvas.drawString(MARGIN, top - 18, f"拣货单  波次 {data.wave_id}")
        canvas.setFont(font, 10)
        details = f"创建时间 {created}（北京时间）"
        if data.warehouse:
            details += f"    仓库 {data.warehouse}"
        canvas.drawString(MARGIN, top - 36, details)
        canvas.drawString(MARGIN, top - 52, f"订单 {data.order_count} 单    商品 {len(rows)} 种    共 {units} 件")
        y = top - HEADER_HEIGHT
        for section_table, section_rows, title in sections:
            if title:
                canvas.setFont(font, 12)
                canvas.drawString(MARGIN, y - 6 * mm, title)
                y -= SLOT_TITLE_HEIGHT
            y = section_table.draw(canvas, MARGIN, y, section_rows)
        canvas.setFont(font, 9)
        canvas.drawCentredString(width / 2, MARGIN, f"第 {number} / {len(pages)} 页")
        canvas.drawRightString(width - MARGIN, MARGIN, data.wave_id)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
