"""Issue 8's inbox check: with 100,000 open tasks and 5,000 users on PostgreSQL, time what the inbox page
asks for one user (`inbox.overview`: a page of my tasks and of my groups' tasks, each with its count) over
many users. Target: p95 under 20 ms. The API's lists and the badge's counts, asked apart, are timed too.

Rows are made with generate_series in SQL; the queries are the app's own (services.inbox) through the ORM."""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from services import inbox  # noqa: E402
from scratch_office import scratch_office  # noqa: E402


# 100 sections; users spread over them, every 50th a section head, every 500th in the security office.
FILL = """
INSERT INTO section (code, name_zh, name_en)
SELECT 'bench' || s, '科室' || s, 'Section ' || s FROM generate_series(1, :sections) AS s;

INSERT INTO user_account (username, display_name, password_hash, locale, active, section_id, created_at)
SELECT 'u' || u, '用户' || u, 'x', 'zh_CN', true,
       (SELECT min(id) FROM section WHERE code LIKE 'bench%') + (u % :sections), now()
FROM generate_series(1, :users) AS u;

INSERT INTO role_assignment (user_id, role, section_id)
SELECT id, 'employee', section_id FROM user_account WHERE username LIKE 'u%' AND username ~ '^u[0-9]+$';
INSERT INTO role_assignment (user_id, role, section_id)
SELECT id, 'section_head', section_id FROM user_account WHERE username ~ '^u[0-9]+$' AND id % 50 = 0;
INSERT INTO role_assignment (user_id, role, section_id)
SELECT id, 'security_office', NULL FROM user_account WHERE username ~ '^u[0-9]+$' AND id % 500 = 0;

INSERT INTO process_instance (definition_id, process_id, applicant_id, section_id, status, business_key, title,
                              workflow_state, version, created_at, updated_at)
SELECT 1, 'carry_out', u.id, u.section_id, 'running', 'IB' || i, 'bench', '', 1,
       now() - (i % 90) * interval '1 hour', now()
FROM generate_series(1, :tasks) AS i
JOIN user_account u ON u.username = 'u' || (1 + i % :users);

-- Two tasks in three wait for the applicant's section head, the rest for the security office;
-- one in ten is already claimed by someone.
INSERT INTO human_task (instance_id, spiff_task_id, bpmn_id, name, role, kind, section_id, status, assignee_id,
                        created_at)
SELECT pi.id, md5(pi.id::text),
       CASE WHEN pi.id % 3 = 0 THEN 'hand_out' ELSE 'section_head_review' END,
       CASE WHEN pi.id % 3 = 0 THEN '保密办发放' ELSE '科室负责人审核' END,
       CASE WHEN pi.id % 3 = 0 THEN 'security_office' ELSE 'section_head' END,
       CASE WHEN pi.id % 3 = 0 THEN 'task' ELSE 'approval' END,
       pi.section_id, 'open',
       CASE WHEN pi.id % 10 = 0 THEN (SELECT min(id) FROM user_account) + (pi.id % :users) END,
       pi.created_at
FROM process_instance pi WHERE pi.business_key LIKE 'IB%';
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--sections", type=int, default=100)
    parser.add_argument("--samples", type=int, default=400)
    args = parser.parse_args()
    with scratch_office() as (engine, sessions):
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in filter(str.strip, FILL.split(";\n")):
                conn.execute(text(statement), {"users": args.users, "tasks": args.tasks, "sections": args.sections})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        with engine.connect() as conn:
            users = [row[0] for row in conn.execute(text("SELECT id FROM user_account WHERE username ~ '^u[0-9]+$'"))]
            heads = [row[0] for row in conn.execute(text(
                "SELECT user_id FROM role_assignment WHERE role IN ('section_head', 'security_office')"))]
            open_tasks = conn.execute(text("SELECT count(*) FROM human_task WHERE status = 'open'")).scalar()
        print(f"filled {len(users):,} users and {open_tasks:,} open tasks in {time.perf_counter() - started:.0f} s")

        rng = random.Random(8)
        # Half the samples are approvers, whose group inbox is the expensive one.
        sample = [rng.choice(heads) for _ in range(args.samples // 2)] + \
                 [rng.choice(users) for _ in range(args.samples - args.samples // 2)]
        timings: dict[str, list[float]] = {"inbox page": [], "my tasks": [], "group tasks": [], "counts": []}
        with sessions() as session:
            for user_id in sample[:20]:  # warm the plans and the cache
                inbox.overview(session, user_id)
                inbox.group_tasks(session, user_id)
            for user_id in sample:
                t0 = time.perf_counter()
                inbox.overview(session, user_id)
                t1 = time.perf_counter()
                session.expunge_all()
                t2 = time.perf_counter()
                inbox.my_tasks(session, user_id)
                t3 = time.perf_counter()
                inbox.group_tasks(session, user_id)
                t4 = time.perf_counter()
                inbox.counts(session, user_id)
                t5 = time.perf_counter()
                session.expunge_all()
                for label, ms in (("inbox page", t1 - t0), ("my tasks", t3 - t2), ("group tasks", t4 - t3),
                                  ("counts", t5 - t4)):
                    timings[label].append(ms * 1000)
        print(f"{'inbox query':14} {'median ms':>10} {'p95 ms':>8}  ({len(sample)} users; target p95 < 20 ms)")
        for label, samples in timings.items():
            samples.sort()
            print(f"{label:14} {statistics.median(samples):10.2f} {samples[int(0.95 * (len(samples) - 1))]:8.2f}")


if __name__ == "__main__":
    main()
