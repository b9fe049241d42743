"""Issue 4's scale check: with 1,000,000 cases and 100,000 open tasks on PostgreSQL, time the stuck-case
page query of the admin console and one scan of each scheduler job. Targets: under 200 ms each.

The rows are made with generate_series in SQL (about half a minute); the queries are the ones the app
runs (services.admin_console, services.cases, services.deadlines), through the ORM, median of repeats."""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from models import utcnow  # noqa: E402
from services import admin_console, cases, deadlines  # noqa: E402
from scratch_office import scratch_office  # noqa: E402


FILL = """
INSERT INTO process_instance (definition_id, process_id, applicant_id, section_id, status, business_key, title,
                              workflow_state, next_due_at, version, created_at, updated_at, completed_at)
SELECT 1, 'carry_out', 1 + (i % 13), 1 + (i % 3),
       CASE WHEN i % 100 < 88 THEN 'completed' WHEN i % 100 < 90 THEN 'rejected'
            WHEN i % 1000 = 999 THEN 'error' ELSE 'running' END,
       'BK' || i, 'bench', '',
       CASE WHEN i % 100 >= 90 AND i % 7 = 0 THEN now() + ((i % 4000) - 200) * interval '1 hour' END,
       1, now() - (i % 730) * interval '1 day', now() - (i % 720) * interval '1 day' - (i % 97) * interval '1 minute',
       CASE WHEN i % 100 < 90 THEN now() - (i % 700) * interval '1 day' END
FROM generate_series(1, :cases) AS i;
"""
TASKS = """
INSERT INTO human_task (instance_id, spiff_task_id, bpmn_id, name, role, kind, section_id, status, due_at,
                        escalate_at, escalation_role, reminded_at, created_at)
SELECT pi.id, md5(pi.id::text), 'section_head_review', '科室负责人审核', 'section_head', 'approval', pi.section_id,
       'open', now() + ((pi.id % 600) - 300) * interval '1 hour', now() + ((pi.id % 600) - 276) * interval '1 hour',
       'security_office', CASE WHEN pi.id % 600 < 250 THEN now() END, pi.created_at
FROM process_instance pi WHERE pi.status = 'running' LIMIT :tasks;
"""


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm the cache and the plan
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with scratch_office() as (engine, sessions):
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text(FILL), {"cases": args.cases})
            conn.execute(text(TASKS), {"tasks": args.tasks})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        with engine.connect() as conn:
            counts = conn.execute(text("SELECT (SELECT count(*) FROM process_instance), "
                                       "(SELECT count(*) FROM human_task WHERE status = 'open')")).one()
        print(f"filled {counts[0]:,} cases and {counts[1]:,} open tasks in {time.perf_counter() - started:.0f} s")

        now = utcnow()
        results = {}
        with sessions() as session:
            def stuck_page():
                rows, total = admin_console.list_cases(session, admin_console.CaseFilter(stuck=True), now, 5)
                return total
            def error_page():
                return admin_console.list_cases(session, admin_console.CaseFilter(error=True), now, 5)[1]
            def timer_scan():
                return len(cases.due_case_ids(session, now))
            def reminder_scan():
                found = deadlines._due(session, deadlines.HumanTask.due_at, deadlines.HumanTask.reminded_at, now)
                session.expunge_all()
                return len(found)
            def escalation_scan():
                found = deadlines._due(session, deadlines.HumanTask.escalate_at, deadlines.HumanTask.escalated_at, now)
                session.expunge_all()
                return len(found)
            for label, fn in (("stuck-case page (count + first 50)", stuck_page),
                              ("cases in error page", error_page),
                              ("scheduler scan: due BPMN timers", timer_scan),
                              ("scheduler scan: tasks to remind", reminder_scan),
                              ("scheduler scan: tasks to escalate", escalation_scan)):
                found = fn()
                median, p95 = timed(fn, args.repeat)
                results[label] = (median, p95, found)
        print(f"{'query':40} {'median ms':>10} {'p95 ms':>8} {'rows':>8}  (target < 200 ms)")
        for label, (median, p95, found) in results.items():
            print(f"{label:40} {median:10.1f} {p95:8.1f} {found:8,}")


if __name__ == "__main__":
    main()
