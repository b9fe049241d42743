"""Issue 8's load test: gunicorn (4 sync workers) on a throwaway PostgreSQL database, simulated users carrying
cases from start to finish through the JSON API, signed in with CSRF as a real client.

Each simulated user owns four signed-in identities (applicant, section head, leader, security officer of a
section of its own) and loops with no think time: start a carry-out, then complete its four tasks (section
head's review, leader's approval, hand-out, return check-in; the asset is back in use at the end, so the
next loop can take it again). Every tenth loop the section head sends its completion a second time: a
deliberate 409 (task_closed), counted apart. Anything else that is not 2xx is an error.

The client is the standard library's http.client with keep-alive where the server offers it (gunicorn's
sync workers close each connection, so it reconnects), spread over several processes so that the client's
own GIL does not add to the latencies it measures; no extra package to install. Sign-in (scrypt, slow on
purpose) happens once per identity before the clock; the session cookie and CSRF token are then shared
with the load processes.

Runs a sweep of concurrency (1, 5, 10, 25, 50 users; 15 s each) and the sustained run (50 users, 60 s),
and prints completions per second, p50/p95/p99 of completion latency, error counts, and the CPU seconds
spent by gunicorn, PostgreSQL and the client over the sustained run (where the time goes). Writes
bench/results/http_load.json and, with matplotlib (`pip install -e '.[bench]'`), the plot of latency against
concurrency to docs/latency_vs_concurrency.png.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import logging  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)

RESULTS = ROOT / "bench" / "results" / "http_load.json"
PLOT = ROOT / "docs" / "latency_vs_concurrency.png"
PASSWORD = "Bench@2026-load"
ROLES = (("applicant", "employee", True), ("head", "section_head", True), ("leader", "leader", False),
         ("security", "security_office", False))  # (identity, role, for its own section only)
HOST = "127.0.0.1"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the office under load

def add_load_office(sessions, users: int) -> list[dict]:
    """A section per simulated user, with its four identities and two assets; returns their usernames."""
    from sqlalchemy import select

    from models import Asset, RoleAssignment, Section, User
    from services.auth import hash_password

    password_hash = hash_password(PASSWORD)
    out = []
    with sessions() as session:
        for i in range(users):
            section = Section(code=f"load{i:03d}", name_zh=f"压测科{i}", name_en=f"Load section {i}")
            session.add(section)
            session.flush()
            names = {}
            for identity, role, own_section in ROLES:
                user = User(username=f"load_{identity}_{i:03d}", display_name=f"压测{identity}{i}",
                            password_hash=password_hash, locale="zh_CN", section_id=section.id)
                session.add(user)
                session.flush()
                session.add(RoleAssignment(user_id=user.id, role=role, section_id=section.id if own_section else None))
                names[identity] = user.username
                if identity == "applicant":
                    for k in range(2):
                        session.add(Asset(register_number=f"LOAD-{i:03d}-{k}", kind="usb_stick",
                                          classification="secret", make_model="load stick", serial=f"L{i:03d}{k}",
                                          section_id=section.id, holder_id=user.id, status="in_use"))
            session.flush()
            names["assets"] = list(session.scalars(
                select(Asset.id).where(Asset.register_number.like(f"LOAD-{i:03d}-%"))))
            out.append(names)
        session.commit()
    return out


# ---------------------------------------------------------------- a small HTTP client

class Api:
    """One signed-in identity: a keep-alive connection, its session cookie and CSRF token."""

    def __init__(self, port: int, cookie: str = "", csrf: str = ""):
        self.port, self.cookie, self.csrf = port, cookie, csrf
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf and method != "GET":
            headers["X-CSRFToken"] = self.csrf
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                jar = SimpleCookie()
                jar.load(value)
                if "session" in jar:
                    self.cookie = f"session={jar['session'].value}"
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, None

    def sign_in(self, username: str) -> None:
        status, body = self.request("POST", "/api/v1/session", {"username": username, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"sign-in of {username} failed: {status} {body}")
        self.csrf = body["csrf_token"]


# ---------------------------------------------------------------- one simulated user

def _case_body(asset_id: int) -> dict:
    out_day = date.today() + timedelta(days=1)
    return {"assets": [asset_id], "destination": "北京市国家会议中心", "purpose": "参加全市保密工作会议",
            "out_date": out_day.isoformat(), "return_date": (out_day + timedelta(days=2)).isoformat(),
            "security_measures": "专人随身携带，全程不离身", "acknowledge_rules": True}


def simulated_user(port: int, identity: dict, deadline: float, records: list) -> None:
    """Loop until the deadline: start a case and carry it to its end. Appends (kind, status, ms, end_time)."""
    apis = {name: Api(port, *identity["auth"][name]) for name in ("applicant", "head", "leader", "security")}
    today = date.today().isoformat()
    steps = (("head", {"decision": "approve", "comment": "同意"}),
             ("leader", {"decision": "approve", "comment": "同意"}),
             ("security", {"handed_out_on": today, "checked_before_handout": True}),
             ("security", {"returned_on": today, "condition": "intact"}))
    clock = time.perf_counter
    loop = 0
    asset = identity["assets"][0]
    while clock() < deadline:
        loop += 1
        t = clock()
        status, body = apis["applicant"].request("POST", "/api/v1/processes/carry_out/instances", _case_body(asset))
        records.append(("start", status, (clock() - t) * 1000, clock()))
        if status != 201:
            time.sleep(0.05)
            continue
        task = next((x for x in body["tasks"] if x["status"] == "open"), None)
        for i, (who, data) in enumerate(steps):
            if task is None:
                records.append(("complete", 0, 0.0, clock()))  # no next task: counted as an error
                break
            path = f"/api/v1/tasks/{task['id']}/complete"
            t = clock()
            status, body = apis[who].request("POST", path, data)
            records.append(("complete", status, (clock() - t) * 1000, clock()))
            if status != 200:
                break
            if i == 0 and loop % 10 == 0:
                t = clock()
                again, _ = apis[who].request("POST", path, data)
                records.append(("repeat", again, (clock() - t) * 1000, clock()))
            task = (body.get("next_tasks") or [None])[0]


def load_process(port: int, identities: list[dict], deadline: float, queue) -> None:
    """One client process: a thread per simulated user; sends its records back through the queue."""
    records: list = []
    threads = [threading.Thread(target=simulated_user, args=(port, identity, deadline, records), daemon=True)
               for identity in identities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((records, os.times()))


def run_phase(port: int, identities: list[dict], users: int, seconds: float) -> dict:
    """`users` simulated users for `seconds`; the figures of the completions."""
    processes = min(4, users)
    chosen = identities[:users]
    groups = [chosen[i::processes] for i in range(processes)]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    started = time.perf_counter()
    deadline = started + seconds
    workers = [ctx.Process(target=load_process, args=(port, group, deadline, queue)) for group in groups]
    for worker in workers:
        worker.start()
    records, client_cpu = [], 0.0
    for _ in workers:
        got, times = queue.get(timeout=seconds + 120)
        records.extend(got)
        client_cpu += times.user + times.system
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return summarise(records, users, elapsed, client_cpu)


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarise(records: list, users: int, elapsed: float, client_cpu: float) -> dict:
    done = sorted(ms for kind, status, ms, _ in records if kind == "complete" and status == 200)
    starts = sorted(ms for kind, status, ms, _ in records if kind == "start" and status == 201)
    deliberate = sum(1 for kind, status, _, _ in records if kind == "repeat" and status == 409)
    errors: dict[str, int] = {}
    for kind, status, _, _ in records:
        ok = (kind == "complete" and status == 200) or (kind == "start" and status == 201) or \
             (kind == "repeat" and status == 409)
        if not ok:
            errors[f"{kind} {status}"] = errors.get(f"{kind} {status}", 0) + 1
    return {
        "users": users, "seconds": round(elapsed, 1), "completions": len(done),
        "completions_per_s": round(len(done) / elapsed, 1), "cases_started_per_s": round(len(starts) / elapsed, 1),
        "complete_ms": {"p50": round(_percentile(done, 0.50), 1), "p95": round(_percentile(done, 0.95), 1),
                        "p99": round(_percentile(done, 0.99), 1),
                        "mean": round(statistics.fmean(done), 1) if done else None},
        "start_ms": {"p50": round(_percentile(starts, 0.50), 1), "p95": round(_percentile(starts, 0.95), 1)},
        "deliberate_409": deliberate, "errors": errors, "client_cpu_s": round(client_cpu, 1),
    }


# ---------------------------------------------------------------- the server and the CPU it uses

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-http-load", BAOMI_SCHEDULER="off",
               PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"{HOST}:{port}",
         "--log-level", "warning", "app:create_app()"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn ended at start-up")
        try:
            status, _ = Api(port).request("GET", "/api/v1/me")
            if status in (200, 401, 302):
                return server
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its workers, nothing else
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


def _cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def _pids(predicate) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if predicate(int(entry.name), (entry / "comm").read_text().strip()):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def _session_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def cpu_snapshot(server: subprocess.Popen) -> dict:
    """CPU seconds so far of gunicorn (master and workers) and of every PostgreSQL process."""
    gunicorn = _pids(lambda pid, comm: _session_of(pid) == server.pid)
    postgres = _pids(lambda pid, comm: comm.startswith("postgres"))
    return {"gunicorn": _cpu_seconds(gunicorn), "postgres": _cpu_seconds(postgres)}


# ---------------------------------------------------------------- the run

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=50, help="users of the sustained run (default 50)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sweep", default="1,5,10,25,50", help="concurrency levels of the sweep ('' for none)")
    parser.add_argument("--sweep-seconds", type=float, default=15)
    args = parser.parse_args(argv)
    sweep = [int(x) for x in args.sweep.split(",") if x.strip()]
    most = max([args.users, *sweep])

    from scratch_office import scratch_office

    with scratch_office() as (db_engine, sessions):
        url = db_engine.url.render_as_string(hide_password=False)
        office = add_load_office(sessions, most)
        port = _free_port()
        server = start_gunicorn(url, args.workers, port)
        try:
            log(f"gunicorn with {args.workers} workers on port {port}; signing in {4 * most} identities")
            identities = []
            for names in office:
                auth = {}
                for identity in ("applicant", "head", "leader", "security"):
                    api = Api(port)
                    api.sign_in(names[identity])
                    auth[identity] = (api.cookie, api.csrf)
                    api.conn.close()
                identities.append({"auth": auth, "assets": names["assets"]})
            run_phase(port, identities, min(5, most), 3)  # warm every worker: imports, caches, plans
            results = {"sweep": [], "workers": args.workers}
            for users in sweep:
                phase = run_phase(port, identities, users, args.sweep_seconds)
                log(f"  sweep {users:>2} users: {phase['completions_per_s']:7.1f} completions/s, "
                    f"p50 {phase['complete_ms']['p50']} ms, p95 {phase['complete_ms']['p95']} ms, "
                    f"errors {sum(phase['errors'].values())}")
                results["sweep"].append(phase)
            before = cpu_snapshot(server)
            load_before = os.getloadavg()
            sustained = run_phase(port, identities, args.users, args.seconds)
            after = cpu_snapshot(server)
            sustained["cpu_s"] = {"gunicorn": round(after["gunicorn"] - before["gunicorn"], 1),
                                  "postgres": round(after["postgres"] - before["postgres"], 1),
                                  "client": sustained["client_cpu_s"]}
            sustained["load_average_before"] = [round(x, 2) for x in load_before]
            results["sustained"] = sustained
        finally:
            stop_gunicorn(server)

    report(results, args)
    return 0


def report(results: dict, args) -> None:
    s = results["sustained"]
    load = os.getloadavg()
    print()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs "
          f"(before the sustained run: {' '.join(str(x) for x in s['load_average_before'])})")
    print(f"gunicorn {args.workers} sync workers, PostgreSQL; each loop: start a carry-out + 4 completions")
    print(f"{'users':>5} {'compl/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'starts/s':>8} {'409 ok':>6} {'errors':>6}")
    for row in [*results["sweep"], s]:
        c = row["complete_ms"]
        print(f"{row['users']:>5} {row['completions_per_s']:>8.1f} {c['p50']:>7} {c['p95']:>7} {c['p99']:>7} "
              f"{row['cases_started_per_s']:>8.1f} {row['deliberate_409']:>6} {sum(row['errors'].values()):>6}"
              + ("   <- sustained" if row is s else ""))
    cpu = s["cpu_s"]
    total = sum(cpu.values()) or 1
    print(f"sustained {s['seconds']} s: CPU seconds gunicorn {cpu['gunicorn']} ({cpu['gunicorn'] / total:.0%}), "
          f"PostgreSQL {cpu['postgres']} ({cpu['postgres'] / total:.0%}), client {cpu['client']} "
          f"({cpu['client'] / total:.0%}) of {os.cpu_count()} x {s['seconds']} s available")
    if s["errors"]:
        print(f"errors: {s['errors']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_after": [round(x, 2) for x in load], "workers": args.workers, **results,
    }, indent=2) + "\n", encoding="utf-8")
    plot(results)
    print(f"http_load completions_per_s={s['completions_per_s']} p95_ms={s['complete_ms']['p95']} "
          f"errors={sum(s['errors'].values())}")


def plot(results: dict) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed (pip install -e '.[bench]'): no plot")
        return
    rows = results["sweep"]
    users = [r["users"] for r in rows]
    fig, left = plt.subplots(figsize=(7, 4.2), dpi=110)
    for key, style, colour in (("p50", "o-", "tab:blue"), ("p95", "s-", "tab:orange"), ("p99", "^--", "tab:red")):
        left.plot(users, [r["complete_ms"][key] for r in rows], style, color=colour, label=f"completion {key}")
    left.axhline(50, color="grey", linewidth=0.8, linestyle=":")
    left.set_xlabel("concurrent simulated users")
    left.set_ylabel("latency of a task completion (ms)")
    left.set_xscale("log")
    left.set_xticks(users, [str(u) for u in users])
    right = left.twinx()
    right.plot(users, [r["completions_per_s"] for r in rows], "d-", color="tab:green", label="completions/s")
    right.set_ylabel("completions per second")
    right.set_ylim(0, max(r["completions_per_s"] for r in rows) * 1.15)
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(lines, labels, loc="upper left", fontsize=8)
    load = results["sustained"]["load_average_before"]
    left.set_title(f"Baomi over HTTP: gunicorn {results.get('workers', 4)} workers, PostgreSQL, {os.cpu_count()} CPUs "
                   f"(load average {load[0]:.1f} before the sustained run)", fontsize=9)
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT)
    log(f"plot written to {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
