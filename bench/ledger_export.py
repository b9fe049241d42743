"""Issue 10's streaming check: export a register of 50,000 lines to XLSX and measure the peak memory the
export takes (tracemalloc: Python allocations during the export; also the process's peak RSS). The lines
come from the maintenance log (each joins its asset, section and recorder), the same query and the same
writer as the /registers/maintenance.xlsx route.

    .venv/bin/python bench/ledger_export.py [--rows 50000] [--database-url URL]

Without --database-url it runs on a temporary SQLite file; BAOMI_BENCH_DATABASE_URL or --database-url
names a PostgreSQL server (a database of its own is created and dropped)."""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from database import make_engine, make_session_factory  # noqa: E402
from models import Asset, MaintenanceLogEntry, User  # noqa: E402
from services import demo_office, ledger_export, ledgers  # noqa: E402
from services.ledgers.base import Filters  # noqa: E402
from web.cli import migrate  # noqa: E402

KINDS = ("repair", "upgrade", "storage_replaced", "inspection")


def fill(sessions, rows: int) -> None:
    with sessions() as session:
        demo_office.load(session)
        session.flush()
        asset_ids = session.scalars(select(Asset.id)).all()
        recorder = session.scalar(select(User.id).where(User.username == "zhengqiang"))
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        batch = []
        for n in range(rows):
            batch.append({"asset_id": asset_ids[n % len(asset_ids)], "kind": KINDS[n % 4],
                          "at": start + timedelta(minutes=17 * n), "fault": f"故障现象 {n}：无法开机，电源指示灯不亮",
                          "cause": "电源模块老化", "work_done": "更换电源模块并检测存储部件完好",
                          "performed_by": "王师傅（市保密局指定维修点）", "recorded_by_id": recorder})
            if len(batch) == 5000:
                session.execute(insert(MaintenanceLogEntry), batch)
                batch = []
        if batch:
            session.execute(insert(MaintenanceLogEntry), batch)
        session.commit()


def export(sessions, traced: bool) -> tuple[int, float, int, int]:
    """Export the whole maintenance log as the security office; lines, seconds, traced peak, file size.
    Tracing slows Python's allocations several times over, so the time is taken on an untraced run."""
    with sessions() as session, tempfile.TemporaryFile() as out:
        reader = session.scalar(select(User).where(User.username == "chenjing"))
        led = ledgers.ledger("maintenance")
        header = ledger_export.header_for(led, "zh_CN", ledger_export.period_text(Filters(), "zh_CN"), "无",
                                          reader.display_name, datetime.now(timezone.utc))
        if traced:
            tracemalloc.start()
        began = time.perf_counter()
        lines = ledger_export.write_xlsx(out, led, header,
                                         ledgers.stream(session, reader, "maintenance", Filters(), "zh_CN"), "zh_CN")
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
        return lines, seconds, peak, out.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", default=os.environ.get("BAOMI_BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = args.database_url, None
        if url:
            from tests.conftest import _create_pg_database, _drop_pg_database
            base = url
            url, name = _create_pg_database(base)
            drop = lambda: _drop_pg_database(base, name)  # noqa: E731
        else:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        try:
            migrate(url)
            engine = make_engine(url)
            sessions = make_session_factory(engine)
            fill(sessions, args.rows)
            lines, seconds, _peak, size = export(sessions, traced=False)
            traced_lines, _seconds, peak, _size = export(sessions, traced=True)
            engine.dispose()
        finally:
            if drop:
                drop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ledger export ({url.split(':')[0].split('+')[0]}): {lines:,} lines in {seconds:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), peak traced Python memory "
          f"{peak / 2**20:.1f} MB during the export, file {size / 2**20:.1f} MB, "
          f"process peak RSS {rss_mb:.0f} MB (including filling the database)")
    assert lines == traced_lines == args.rows, f"exported {lines} of {args.rows} lines"


if __name__ == "__main__":
    main()
