"""Several workers share one PostgreSQL and nothing in a worker's memory may break that (issue 8): gunicorn
with two workers, driven over real HTTP. Two completions of one task sent at the same moment give one 200
and one 409; a version published through one worker is the one new cases get through the other."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Asset, AuditEvent, HumanTask, ProcessInstance, RoleAssignment, User
from services.demo_office import DEMO_PASSWORD
from tests.carry_out_helpers import APPLICANT, APPROVE, LEADER, SECTION_HEAD
from tests.test_designer_api import DOUBLE_CHECK_FORM, with_double_check

pytestmark = pytest.mark.skipif(
    not os.environ.get("BAOMI_TEST_DATABASE_URL"),
    reason="several gunicorn workers share a database server: PostgreSQL only (SQLite is one process's file, "
           "used by `make run` and the single-worker tests)")

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DESIGNER = "hanmei"


class Http:
    """A client as a script would be: its session cookie, and the CSRF token the sign-in answered with."""

    def __init__(self, port: int, username: str | None = None):
        self.port, self.cookie, self.csrf = port, "", ""
        if username:
            status, body = self.call("POST", "/api/v1/session", {"username": username, "password": DEMO_PASSWORD})
            assert status == 200, body
            self.csrf = body["csrf_token"]

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                jar = SimpleCookie(value)
                if "session" in jar:
                    self.cookie = f"session={jar['session'].value}"
        return response.status, (json.loads(data) if data else None)


@pytest.fixture(scope="module")
def workers(database_url, tmp_path_factory):
    """gunicorn with two sync workers on the test database; yields (port, access log path)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="multi-worker-test", BAOMI_SCHEDULER="off",
               PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind", f"{HOST}:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "app:create_app()"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                if Http(port).call("GET", "/api/v1/me")[0] in (200, 302, 401):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.3)
        yield port, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: the master and its two workers
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        server.stderr.close()


def _served(log: Path, path_prefix: str, after_line: int = 0) -> list[str]:
    """Worker pids that answered requests to paths starting with `path_prefix`, in order."""
    time.sleep(0.2)  # gunicorn writes the access line after the answer
    lines = log.read_text().splitlines()[after_line:]
    return [line.split()[0] for line in lines if line.split()[2].startswith(path_prefix)]


def _at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def _assets(db, count: int) -> list[int]:
    applicant = db.scalar(select(User).where(User.username == APPLICANT))
    db.add_all(Asset(register_number=f"MW-{i:03d}", kind="usb_stick", classification="secret", make_model="stick",
                     serial=f"MW{i:03d}", section_id=applicant.section_id, holder_id=applicant.id, status="in_use")
               for i in range(count))
    db.commit()
    return list(db.scalars(select(Asset.id).where(Asset.register_number.like("MW-%")).order_by(Asset.id)))


def _application(asset_id: int) -> dict:
    out_day = date.today() + timedelta(days=1)
    return {"assets": [asset_id], "destination": "北京", "purpose": "参加会议", "out_date": out_day.isoformat(),
            "return_date": (out_day + timedelta(days=2)).isoformat(), "security_measures": "专人随身携带",
            "acknowledge_rules": True}


def test_two_workers_completing_one_task_give_one_200_and_one_409(workers, db, app):
    """Two leaders approve the same case at the same moment. (Leaders oversee every case, so the one who
    loses still sees it and hears 409; a section head who loses a race, and with it the sight of a case
    that moved on to the leader, hears 404: see docs/PERFORMANCE.md.)"""
    port, log = workers
    qianyu = db.scalar(select(User).where(User.username == "qianyu"))
    db.add(RoleAssignment(user_id=qianyu.id, role="leader", section_id=None))
    db.commit()
    applicant, head = Http(port, APPLICANT), Http(port, SECTION_HEAD)
    leaders = (Http(port, LEADER), Http(port, "qianyu"))
    start_line = len(log.read_text().splitlines())
    for asset_id in _assets(db, 3):
        status, started = applicant.call("POST", "/api/v1/processes/carry_out/instances", _application(asset_id))
        assert status == 201, started
        instance_id = started["instance"]["id"]
        status, reviewed = head.call("POST", f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", APPROVE)
        assert status == 200, reviewed
        path = f"/api/v1/tasks/{reviewed['next_tasks'][0]['id']}/complete"
        db.expire_all()
        version_before = db.get(ProcessInstance, instance_id).version
        answers = _at_once(*[lambda c=c: c.call("POST", path, APPROVE) for c in leaders])
        assert sorted(status for status, _ in answers) == [200, 409], answers
        refusal = next(body for status, body in answers if status == 409)
        assert refusal["code"] in ("case_changed", "task_closed"), refusal
        db.expire_all()
        assert db.get(ProcessInstance, instance_id).version == version_before + 1  # one step written
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "task_completed")) == 2  # review, approval
        assert db.scalars(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.status == "open")).all() == ["hand_out"]
    # The completions really were spread over both workers, and the audit chain held under them.
    assert len(set(_served(log, "/api/v1/tasks/", start_line))) == 2
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_version_published_through_one_worker_is_used_by_new_cases_through_the_other(workers, db):
    port, log = workers
    applicant, designer = Http(port, APPLICANT), Http(port, DESIGNER)
    assets = iter(_assets(db, 12))

    def start_pair() -> list[dict]:
        answers = _at_once(*[lambda a=next(assets): applicant.call(
            "POST", "/api/v1/processes/carry_out/instances", _application(a)) for _ in range(2)])
        assert all(status == 201 for status, _ in answers), answers
        return [body["instance"] for _, body in answers]

    # Both workers run version 1 first, so each holds its parsed spec and forms in memory.
    line = len(log.read_text().splitlines())
    for _ in range(3):
        assert all(case["version"] == 1 for case in start_pair())
        if len(set(_served(log, "/api/v1/processes/carry_out/instances", line))) == 2:
            break
    assert len(set(_served(log, "/api/v1/processes/carry_out/instances", line))) == 2

    status, published = designer.call("POST", "/api/v1/designer/processes/carry_out/publish",
                                      {"bpmn_xml": with_double_check(), "forms": {"double_check": DOUBLE_CHECK_FORM}})
    assert status == 201 and published["version"] == 2, published
    publisher = _served(log, "/api/v1/designer/")[-1]

    line = len(log.read_text().splitlines())
    for _ in range(3):
        assert all(case["version"] == 2 for case in start_pair())
        if set(_served(log, "/api/v1/processes/carry_out/instances", line)) - {publisher}:
            break
    # The worker that did not publish started cases on the new version too: no stale definition in memory.
    assert set(_served(log, "/api/v1/processes/carry_out/instances", line)) - {publisher}
    db.expire_all()
    newest = db.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(2)).all()
    assert [case.definition.version for case in newest] == [2, 2]
