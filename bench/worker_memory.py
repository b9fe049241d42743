"""Issue 8: the memory of one worker stays flat after 10,000 completions.

One Flask app in this process (what a gunicorn worker runs, minus the socket), on a fresh database (SQLite
by default, or --postgres for a throwaway one). Three clients sign in through the JSON API as a real client
does (CSRF token from the sign-in answer). Each round: the applicant starts a carry-out, the section head
approves it, the leader approves it (two completions per case). RSS (VmRSS of /proc/self/status) is read
every 500 completions; printed at 0, 1k, 5k and 10k with the slope over the last 9k completions.
Results also go to bench/results/worker_memory.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import logging  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)

from sqlalchemy import select  # noqa: E402

from models import Asset, User  # noqa: E402
from services import definitions, demo_office  # noqa: E402
from services.demo_office import DEMO_PASSWORD  # noqa: E402
from web.cli import migrate  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "worker_memory.json"
REPORT_AT = (0, 1_000, 5_000, 10_000)


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


@contextmanager
def database(postgres: bool):
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="baomi_mem_") as tmp:
            yield f"sqlite:///{Path(tmp) / 'memory.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from scratch_office import PG
    import secrets

    base = make_url(PG)
    name = f"baomi_bench_{secrets.token_hex(4)}"
    admin = dict(host=base.host, port=base.port or 5432, user=base.username, dbname=base.database, autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Client:
    """A signed-in API client: the session cookie and the CSRF token, as a browser script keeps them."""

    def __init__(self, app, username: str):
        self.http = app.test_client()
        answer = self.http.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        self.csrf = answer.get_json()["csrf_token"]

    def post(self, url: str, body: dict):
        return self.http.post(url, json=body, headers={"X-CSRFToken": self.csrf})

    def get(self, url: str):
        return self.http.get(url)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL database")
    args = parser.parse_args(argv)
    warmup = 50
    cases_needed = (args.completions + 1) // 2 + warmup
    from app import create_app

    with database(args.postgres) as url:
        migrate(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-memory", "BAOMI_SCHEDULER": "off"})
        sessions = app.extensions["db_sessions"]
        definitions.publish_directory(sessions)
        with sessions() as session:
            demo_office.load(session)
            applicant = session.scalar(select(User).where(User.username == "zhangwei"))
            session.add_all(Asset(register_number=f"MEM-{i:05d}", kind="usb_stick", classification="secret",
                                  make_model="bench stick", serial=f"M{i:07d}", section_id=applicant.section_id,
                                  holder_id=applicant.id, status="in_use") for i in range(cases_needed))
            session.commit()
            asset_ids = list(session.scalars(select(Asset.id).where(Asset.register_number.like("MEM-%"))
                                             .order_by(Asset.id)))
        applicant, head, leader = (Client(app, u) for u in ("zhangwei", "lihua", "liuyang"))
        out_day = date.today() + timedelta(days=1)
        body = {"destination": "北京市国家会议中心", "purpose": "参加全市保密工作会议",
                "out_date": out_day.isoformat(), "return_date": (out_day + timedelta(days=2)).isoformat(),
                "security_measures": "专人随身携带，全程不离身", "acknowledge_rules": True}
        approve = {"decision": "approve", "comment": "同意"}

        def one_case(asset_id: int) -> None:
            started = applicant.post("/api/v1/processes/carry_out/instances", dict(body, assets=[asset_id]))
            assert started.status_code == 201, started.get_json()
            review = next(t for t in started.get_json()["tasks"] if t["status"] == "open")
            done = head.post(f"/api/v1/tasks/{review['id']}/complete", approve)
            assert done.status_code == 200, done.get_json()
            approval = done.get_json()["next_tasks"][0]
            done = leader.post(f"/api/v1/tasks/{approval['id']}/complete", approve)
            assert done.status_code == 200, done.get_json()

        # Warm up (imports, caches of parsed definitions and forms, compiled statements), then start counting.
        for asset_id in asset_ids[:warmup]:
            one_case(asset_id)
        gc.collect()
        samples = [(0, rss_kb())]
        started = time.perf_counter()
        completions = 0
        for asset_id in asset_ids[warmup:]:
            one_case(asset_id)
            completions += 2
            if completions % 500 == 0:
                samples.append((completions, rss_kb()))
                if completions % 2_000 == 0:
                    print(f"  {completions:,} completions, RSS {samples[-1][1] / 1024:.1f} MiB", file=sys.stderr,
                          flush=True)
            if completions >= args.completions:
                break
        elapsed = time.perf_counter() - started

    at = dict(samples)
    tail = [(n, kb) for n, kb in samples if n >= 1_000]
    slope = _slope(tail) * 1000  # KB per 1,000 completions
    load = os.getloadavg()
    print()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {completions:,} completions over HTTP "
          f"(Flask test client, {'PostgreSQL' if args.postgres else 'SQLite'}) in {elapsed:.0f} s")
    print("completions  RSS MiB")
    for n in REPORT_AT:
        if n in at:
            print(f"{n:>11,}  {at[n] / 1024:7.1f}")
    print(f"slope from 1k to {completions // 1000}k: {slope:+.1f} KiB per 1,000 completions")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in load], "database": "postgres" if args.postgres else "sqlite",
        "completions": completions, "seconds": round(elapsed, 1), "rss_kb": samples,
        "slope_kb_per_1000": round(slope, 1),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"worker_memory slope_kb_per_1000={slope:.1f}")
    return 0


def _slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of RSS (KB) over completions."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


if __name__ == "__main__":
    sys.exit(main())
