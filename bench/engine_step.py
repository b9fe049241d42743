"""`make bench`: what one persisted workflow step costs, at the limit and through our service layer.

For SQLite and PostgreSQL (a fresh database each, dropped at the end) it starts many carry_out cases,
then completes the `section_head_review` user task of each (approve: the engine runs on through the
gateway to `leader_approval`), timing only the completion:

  (a) the limit: plain driver SQL (sqlite3 / psycopg), spec parsed once: SELECT the state row,
      deserialize, complete the task, serialize, UPDATE the state, INSERT one audit row, COMMIT.
  (b) the service: `services.cases.complete_task` in a session, then COMMIT, as the API does
      (minus HTTP, Flask and the JSON response).

(a) and (b) alternate step by step on cases prepared the same way, so drift on a shared machine hits
both alike. Prints medians and p95 per step and ends with
`ratio_service_to_engine sqlite=<x> postgres=<y>` (median of b over median of a).
Results also go to bench/results/engine_step.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import logging  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)

from sqlalchemy import select  # noqa: E402

from database import make_engine, make_session_factory  # noqa: E402
from models import Asset, HumanTask, ProcessDefinition, ProcessInstance, Section, User  # noqa: E402
from services import assignment, cases, definitions, demo_office, engine, forms  # noqa: E402
from web.cli import migrate  # noqa: E402

PG_BASE = os.environ.get("BAOMI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = ROOT / "bench" / "results" / "engine_step.json"
PROCESS = "carry_out"
TASK = "section_head_review"
APPLICANT, REVIEWER = "zhangwei", "lihua"
PAYLOAD = {"decision": "approve", "comment": "同意"}
LOCALE = "zh_CN"


# ---------------------------------------------------------------- databases

def _pg_reachable() -> bool:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(PG_BASE)
        psycopg.connect(host=base.host, port=base.port or 5432, user=base.username, dbname=base.database,
                        connect_timeout=3).close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def _pg_admin(sql: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(PG_BASE)
    with psycopg.connect(host=base.host, port=base.port or 5432, user=base.username, dbname=base.database,
                         autocommit=True) as conn:
        conn.execute(sql)


class SqliteTarget:
    name = "sqlite"

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="baomi_bench_")
        self.path = Path(self._tmp.name) / "bench.db"
        self.url = f"sqlite:///{self.path}"
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()

    def raw_connection(self):
        # The same settings as database.make_engine gives the app's connections.
        conn = sqlite3.connect(self.path, timeout=15, isolation_level="DEFERRED")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
        return conn

    placeholder = "?"

    @staticmethod
    def timestamp(value: datetime):
        # What SQLAlchemy's SQLite DateTime writes for our UTC columns.
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")


class PostgresTarget:
    name = "postgres"

    def __enter__(self):
        from sqlalchemy.engine import make_url

        self.db_name = f"baomi_bench_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self.url = make_url(PG_BASE).set(database=self.db_name).render_as_string(hide_password=False)
        return self

    def __exit__(self, *exc):
        _pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def raw_connection(self):
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database)

    placeholder = "%s"

    @staticmethod
    def timestamp(value: datetime):
        return value


# ---------------------------------------------------------------- preparation

def prepare(target, count: int, log) -> dict:
    """Migrate, publish, load the demo office, add `count` assets and start `count` cases."""
    t0 = time.perf_counter()
    migrate(target.url)
    db_engine = make_engine(target.url)
    sessions = make_session_factory(db_engine)
    definitions.publish_directory(sessions)
    with sessions() as session:
        demo_office.load(session)
        session.commit()
    with sessions() as session:
        applicant = session.scalar(select(User).where(User.username == APPLICANT))
        general = session.get(Section, applicant.section_id)
        for i in range(count):
            session.add(Asset(register_number=f"BENCH-{i:05d}", kind="usb_stick", classification="secret",
                              make_model="bench stick", serial=f"B{i:07d}", section_id=general.id,
                              holder_id=applicant.id, status="in_use"))
        session.commit()
        asset_ids = list(session.scalars(select(Asset.id).where(Asset.register_number.like("BENCH-%"))
                                         .order_by(Asset.id)))
    out_day = date.today() + timedelta(days=1)
    for i, asset_id in enumerate(asset_ids):
        body = {"assets": [asset_id], "destination": "北京市国家会议中心", "purpose": "参加全市保密工作会议",
                "out_date": out_day.isoformat(), "return_date": (out_day + timedelta(days=2)).isoformat(),
                "security_measures": "专人随身携带，全程不离身", "acknowledge_rules": True}
        with sessions() as session:
            applicant = session.scalar(select(User).where(User.username == APPLICANT))
            cases.start_case(session, PROCESS, applicant, body, LOCALE)
            session.commit()
        if (i + 1) % 200 == 0:
            log(f"  {target.name}: {i + 1}/{count} cases started")
    with sessions() as session:
        rows = session.execute(
            select(HumanTask.id, HumanTask.spiff_task_id, HumanTask.instance_id)
            .where(HumanTask.bpmn_id == TASK, HumanTask.status == "open").order_by(HumanTask.id)).all()
        reviewer_id = session.scalar(select(User.id).where(User.username == REVIEWER))
        definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == PROCESS)
                                    .order_by(ProcessDefinition.version.desc()).limit(1))
        bpmn_xml = definition.bpmn_xml
    assert len(rows) == count, f"expected {count} open {TASK} tasks, found {len(rows)}"
    log(f"  {target.name}: prepared {count} cases in {time.perf_counter() - t0:.1f} s")
    return {"engine": db_engine, "sessions": sessions, "tasks": rows, "reviewer_id": reviewer_id,
            "bpmn_xml": bpmn_xml}


# ---------------------------------------------------------------- (a) the limit

class LimitStep:
    """The least a persisted step can cost: driver SQL, the spec parsed once, no ORM, no Flask."""

    def __init__(self, target, bpmn_xml: str, actor_id: int):
        self.conn = target.raw_connection()
        self.ts = target.timestamp
        p = target.placeholder
        self.parsed = engine.parse(bpmn_xml, PROCESS)
        # The task data the service would store: the reviewer's form, validated once, outside the clock.
        self.data = forms.from_file(PROCESS, TASK).validate(dict(PAYLOAD), LOCALE)
        self.actor_id = actor_id
        self.sql_select = f"SELECT workflow_state, version FROM process_instance WHERE id = {p}"
        self.sql_update = (f"UPDATE process_instance SET workflow_state = {p}, version = version + 1, "
                           f"updated_at = {p} WHERE id = {p} AND version = {p}")
        self.sql_audit = (f"INSERT INTO audit_event (at, actor_id, action, instance_id, task_id, details) "
                          f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})")

    def __call__(self, task_id: int, spiff_task_id: str, instance_id: int) -> None:
        cur = self.conn.cursor()
        cur.execute(self.sql_select, (instance_id,))
        state, version = cur.fetchone()
        case = engine.Case.restore(self.parsed, state, None)
        case.complete(spiff_task_id, self.data)
        new_state = case.dump()
        now = self.ts(datetime.now(timezone.utc))
        cur.execute(self.sql_update, (new_state, now, instance_id, version))
        if cur.rowcount != 1:
            raise RuntimeError("lost update")
        details = json.dumps({"task": TASK, "decision": self.data.get("decision"),
                              "comment": self.data.get("comment")}, ensure_ascii=False)
        cur.execute(self.sql_audit, (now, self.actor_id, "task_completed", instance_id, task_id, details))
        self.conn.commit()
        cur.close()

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- (b) the service

class ServiceStep:
    """`cases.complete_task` and the commit, as POST /api/v1/tasks/<id>/complete does them."""

    def __init__(self, sessions, reviewer_id: int):
        self.sessions = sessions
        self.reviewer_id = reviewer_id

    def open(self):
        # Flask-Login loads the user (and with them their roles, one query) in the request's session before
        # the view runs: not timed, as in a request it comes before the step.
        session = self.sessions()
        user = assignment.user_with_roles(session, self.reviewer_id)
        return session, user

    def run(self, session, user, task_id: int) -> None:
        task = cases.complete_task(session, task_id, user, dict(PAYLOAD), LOCALE)
        session.commit()
        assert task.status == "completed"


# ---------------------------------------------------------------- measuring

def _ms(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 3), "p95_ms": round(p95 * 1000, 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "n": len(ordered)}


def measure(target, n: int, warmup: int, log) -> dict:
    prep = prepare(target, 2 * (n + warmup), log)
    tasks = prep["tasks"]
    limit = LimitStep(target, prep["bpmn_xml"], prep["reviewer_id"])
    service = ServiceStep(prep["sessions"], prep["reviewer_id"])
    # Interleave: even cases go to (a), odd ones to (b); warm-up first, untimed.
    pairs = [(tasks[2 * i], tasks[2 * i + 1]) for i in range(n + warmup)]
    times_a, times_b = [], []
    clock = time.perf_counter
    gc.collect()
    try:
        for i, ((a_id, a_spiff, a_inst), (b_id, _b_spiff, _b_inst)) in enumerate(pairs):
            t = clock()
            limit(a_id, a_spiff, a_inst)
            da = clock() - t
            session, user = service.open()
            try:
                t = clock()
                service.run(session, user, b_id)
                db_ = clock() - t
            finally:
                session.close()
            if i >= warmup:
                times_a.append(da)
                times_b.append(db_)
    finally:
        limit.close()
        prep["engine"].dispose()
    a, b = _ms(times_a), _ms(times_b)
    return {"limit": a, "service": b, "ratio": round(b["median_ms"] / a["median_ms"], 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="timed steps per kind and database (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first (default 20)")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="measure one database only")
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results = {}
    if args.only != "postgres":
        with SqliteTarget() as target:
            results["sqlite"] = measure(target, args.n, args.warmup, log)
    if args.only != "sqlite":
        if _pg_reachable():
            with PostgresTarget() as target:
                results["postgres"] = measure(target, args.n, args.warmup, log)
        else:
            print(f"PostgreSQL not reachable at {PG_BASE}: skipped")
            results["postgres"] = None

    load = os.getloadavg()
    print()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs "
          "(other processes inflate both columns; the ratio is the figure to compare)")
    print(f"one persisted step: complete {PROCESS}.{TASK} (approve -> leader_approval), "
          f"{args.n} steps each after {args.warmup} warm-up, times in ms")
    print(f"{'database':<10} {'limit med':>10} {'limit p95':>10} {'service med':>12} {'service p95':>12} {'ratio':>7}")
    for name, r in results.items():
        if r is None:
            print(f"{name:<10} {'n/a':>10} {'n/a':>10} {'n/a':>12} {'n/a':>12} {'n/a':>7}")
            continue
        print(f"{name:<10} {r['limit']['median_ms']:>10.3f} {r['limit']['p95_ms']:>10.3f} "
              f"{r['service']['median_ms']:>12.3f} {r['service']['p95_ms']:>12.3f} {r['ratio']:>7.2f}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "step": f"{PROCESS}.{TASK} approve", "n": args.n, "warmup": args.warmup,
        "results": results, "runtime_s": round(time.perf_counter() - started, 1),
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def fmt(name):
        r = results.get(name)
        return f"{r['ratio']:.2f}" if r else "n/a"

    print(f"ratio_service_to_engine sqlite={fmt('sqlite')} postgres={fmt('postgres')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
