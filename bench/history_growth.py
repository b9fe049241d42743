"""Issue 8: per-step cost as a case's history grows. A case sent back 50 times must complete a step within
2x of a fresh case.

Two ways back, on carry_out cases (each timed step is the section head's review, approve or send back):
  revise loop  the BPMN's own loop: the section head decides "send_back", the applicant revises and
               resubmits (revise_request), the review comes again. SpiffWorkflow adds the loop's tasks to
               the case's tree every round, so the stored state grows.
  send back    services.send_back: the leader returns the case to the section head's review. SpiffWorkflow
               resets the branch (reset_from_task_id), so the tree does not grow; the task rows of the case
               (one per turn) do.

Several cases go round by round in step, so each round's figure is a median over the cases. Prints the
median step time at rounds 0, 10 and 25, the stored state's size, and the approval after 50 rounds back
against the same approval on fresh cases (the ratio). Results also go to bench/results/history_growth.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select  # noqa: E402

from engine_step import PostgresTarget, SqliteTarget, _pg_reachable  # noqa: E402
from database import make_engine, make_session_factory  # noqa: E402
from models import Asset, HumanTask, ProcessInstance, Section, User  # noqa: E402
from services import cases, definitions, demo_office, engine  # noqa: E402
from web.cli import migrate  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "history_growth.json"
LOCALE = "zh_CN"
APPLICANT, HEAD, LEADER = "zhangwei", "lihua", "liuyang"
REPORT_AT = (0, 10, 25, 50)


def _prepare(url: str, count: int):
    migrate(url)
    db_engine = make_engine(url)
    sessions = make_session_factory(db_engine)
    definitions.publish_directory(sessions)
    with sessions() as session:
        demo_office.load(session)
        session.commit()
    out_day = date.today() + timedelta(days=1)
    ids = []
    with sessions() as session:
        applicant = session.scalar(select(User).where(User.username == APPLICANT))
        section = session.get(Section, applicant.section_id)
        for i in range(count):
            asset = Asset(register_number=f"HIST-{i:04d}", kind="usb_stick", classification="secret",
                          make_model="bench stick", serial=f"H{i:06d}", section_id=section.id,
                          holder_id=applicant.id, status="in_use")
            session.add(asset)
            session.flush()
            body = {"assets": [asset.id], "destination": "北京", "purpose": "参加会议",
                    "out_date": out_day.isoformat(), "return_date": (out_day + timedelta(days=2)).isoformat(),
                    "security_measures": "专人携带", "acknowledge_rules": True}
            ids.append(cases.start_case(session, "carry_out", applicant, body, LOCALE).id)
            session.commit()
    return db_engine, sessions, ids


def _open_task(session, instance_id: int, bpmn_id: str) -> int:
    return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                     HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"))


def _user(session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def _timed(sessions, username: str, instance_id: int, bpmn_id: str, action) -> float:
    """Run `action(session, task_id, user)` on the case's open task `bpmn_id` and commit; the time of both
    (the user and the task's id are looked up before the clock starts, as the API gets both in the URL)."""
    with sessions() as session:
        user = _user(session, username)
        task_id = _open_task(session, instance_id, bpmn_id)
        t0 = time.perf_counter()
        action(session, task_id, user)
        session.commit()
        return time.perf_counter() - t0


def _complete(payload: dict):
    def action(session, task_id, user):
        cases.complete_task(session, task_id, user, dict(payload), LOCALE)
    return action


def _state_size(sessions, instance_id: int) -> tuple[int, float]:
    """Bytes of the stored state, and what restoring and dumping it costs the engine (ms)."""
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        state = instance.workflow_state
        parsed = definitions.parsed(instance.definition)
    t0 = time.perf_counter()
    engine.Case.restore(parsed, state, None).dump()
    return len(state.encode("utf-8")), (time.perf_counter() - t0) * 1000


APPROVE = {"decision": "approve", "comment": "同意"}


def revise_loop_round(sessions, instance_id: int, last: bool) -> float:
    """One round of the BPMN's loop; returns the time of the section head's step."""
    if last:
        return _timed(sessions, HEAD, instance_id, "section_head_review", _complete(APPROVE))
    took = _timed(sessions, HEAD, instance_id, "section_head_review",
                  _complete({"decision": "send_back", "comment": "请补充保密措施"}))
    _timed(sessions, APPLICANT, instance_id, "revise_request", _complete({"decision": "resubmit", "comment": "已补充"}))
    return took


def send_back_round(sessions, instance_id: int, last: bool) -> float:
    """One round through services.send_back; returns the time of the section head's step."""
    from services import send_back

    took = _timed(sessions, HEAD, instance_id, "section_head_review", _complete(APPROVE))
    if not last:
        def back(session, task_id, user):
            send_back.send_back(session, task_id, user, "section_head_review", "请重新审核", LOCALE)
        _timed(sessions, LEADER, instance_id, "leader_approval", back)
    return took


def fresh_approve(sessions, instance_ids: list[int]) -> float:
    """The same approval on fresh cases: what the last round is compared with."""
    return statistics.median(_timed(sessions, HEAD, i, "section_head_review", _complete(APPROVE))
                             for i in instance_ids) * 1000


def measure(target, path: str, rounds: int, count: int, log) -> dict:
    db_engine, sessions, ids = _prepare(target.url, 2 * count)
    grown_ids, fresh_ids = ids[:count], ids[count:]
    step = revise_loop_round if path == "revise_loop" else send_back_round
    per_round: list[float] = []
    sizes: dict[int, dict] = {}
    try:
        for k in range(rounds + 1):
            if k in REPORT_AT or k == rounds:
                size, engine_ms = _state_size(sessions, grown_ids[0])
                sizes[k] = {"state_bytes": size, "restore_dump_ms": round(engine_ms, 3)}
            times = [step(sessions, instance_id, last=(k == rounds)) for instance_id in grown_ids]
            per_round.append(statistics.median(times) * 1000)
            if k % 10 == 0:
                log(f"  {target.name} {path}: round {k}, step {per_round[-1]:.2f} ms")
        # The last round approved after `rounds` rounds back; now the same approval on fresh cases.
        fresh = fresh_approve(sessions, fresh_ids)
        with sessions() as session:
            rows = session.scalar(select(func.count()).select_from(HumanTask)
                                  .where(HumanTask.instance_id == grown_ids[0]))
    finally:
        db_engine.dispose()
    grown = per_round[-1]
    return {"rounds": rounds, "cases": count, "step_ms_by_round": [round(x, 3) for x in per_round],
            "fresh_ms": round(fresh, 3), "after_ms": round(grown, 3), "ratio": round(grown / fresh, 2),
            "state": sizes, "task_rows_of_case": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--cases", type=int, default=8, help="cases going round in step (default 8)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--path", choices=["revise_loop", "send_back"], action="append")
    args = parser.parse_args(argv)
    paths = args.path or ["revise_loop", "send_back"]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    try:
        import services.send_back  # noqa: F401
    except ImportError:
        paths = [p for p in paths if p != "send_back"]
        log("services.send_back is not there: only the BPMN's revise loop is measured")

    results: dict = {}
    targets = []
    if args.only != "postgres":
        targets.append(SqliteTarget)
    if args.only != "sqlite":
        if _pg_reachable():
            targets.append(PostgresTarget)
        else:
            print("PostgreSQL not reachable: skipped")
    for target_class in targets:
        for path in paths:
            with target_class() as target:
                results[f"{target.name}/{path}"] = measure(target, path, args.rounds, args.cases, log)

    load = os.getloadavg()
    print()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"a section head's step after N rounds back ({args.cases} cases each, median ms); target ratio <= 2")
    shown = [k for k in REPORT_AT if k < args.rounds]
    print(f"{'database/path':<22} " + " ".join(f"{'r' + str(k):>7}" for k in shown)
          + f" {'fresh ok':>8} {'ok r' + str(args.rounds):>8} {'ratio':>6} {'state r0':>9} {'state rN':>9} {'rows':>5}")
    for name, r in results.items():
        by_round = r["step_ms_by_round"]
        states = r["state"]
        print(f"{name:<22} " + " ".join(f"{by_round[k]:7.2f}" for k in shown)
              + f" {r['fresh_ms']:8.2f} {r['after_ms']:8.2f} {r['ratio']:6.2f}"
              + f" {states[0]['state_bytes']:9,} {states[max(states)]['state_bytes']:9,} {r['task_rows_of_case']:5}")
    print("(r<k>: the section head's step in round k; 'ok': approving, on fresh cases and after the rounds back;"
          " ratio = ok after / ok fresh)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in load], "results": results,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("history_growth " + " ".join(f"{name}={r['ratio']:.2f}" for name, r in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
