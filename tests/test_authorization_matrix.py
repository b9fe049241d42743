"""Every rule of the app, for every role's demo user and for an anonymous visitor, against the one declared
policy (web/access_policy.py): what the policy denies is refused before the view runs (401 or the sign-in
page for a visitor, 403 for a user), what it allows is not refused for the role. An endpoint the policy does
not name fails here. Then object level: a user of another section gets 404 for a case, task or asset guessed
by id, on every page and API route that takes one."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import create_app
from models import Asset, ReferenceItem, RoleAssignment, Section, User
from services import demo_office, ledgers
from services.messages import message
from services.roles import ROLES
from tests.carry_out_helpers import open_task, start
from tests.conftest import PASSWORD, ApiClient, csrf_from
from web.access_policy import POLICY, access_for

# Refusals that say "not your role" (the policy's own, and the role checks kept on views as defence in
# depth). For a role the policy allows, any of these means the policy and a view disagree.
ROLE_REFUSALS = ("forbidden", "register_security_office_only", "reference_keepers_only",
                 "destruction_register_not_readable", "destruction_register_not_allowed", "ledger_not_readable",
                 "org_roles_security_admin_only", "org_system_admin_only")
# Values of URL arguments that are not ids of demo objects (ids are looked up per test, below).
PLAIN_ARGS = {"process_id": "carry_out", "kind": "repair_unit", "filename": "baomi.css", "username": "wangfang",
              "address": "10.0.0.9", "number": 1, "report_id": 1, "duty_id": 1, "item_id": 1, "attachment_id": 1,
              "delegation_id": 1, "comment_id": 1, "approver_id": 1, "link_id": 1}
# An argument whose meaningful value depends on the endpoint.
ENDPOINT_ARGS = {"admin.case_action": {"action": "suspend"}, "admin.api_case_action": {"action": "suspend"},
                 "org.user_action": {"action": "absence"}, "org.role_action": {"action": "dates"},
                 "designer.form": {"task_id": "start"}}
# Sign-out ends the session: those rules get clients of their own.
ENDS_SESSION = {"auth.logout", "api.sign_out"}


def one_user_per_role() -> dict[str, str]:
    """role -> the first demo user who holds it."""
    found = {}
    for username, _name, _section, roles in demo_office.USERS:
        for role, _scope in roles:
            found.setdefault(role, username)
    return found


ROLE_USERS = one_user_per_role()
VISITORS = [None] + sorted(set(ROLE_USERS.values()))


def _rules():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "BAOMI_SCHEDULER": "off", "TESTING": True})
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append(pytest.param(rule.endpoint, rule.rule, method, id=f"{method} {rule.rule}"))
    app.extensions["db_engine"].dispose()
    return out


RULES = _rules()


def test_every_role_has_a_demo_user():
    assert set(ROLES) <= set(ROLE_USERS), set(ROLES) - set(ROLE_USERS)


def test_every_endpoint_is_in_the_policy():
    missing = sorted({p.values[0] for p in RULES} - set(POLICY))
    assert not missing, f"endpoints with no line in web/access_policy.py (denied to everyone): {missing}"


class Visitors:
    """Test clients signed in once per demo user (the demo office's ids are the same in every test)."""

    def __init__(self, app):
        self.app = app
        self.cache: dict[str | None, ApiClient] = {}

    def fresh(self, username: str | None) -> ApiClient:
        client = self.app.test_client()
        if username is None:
            return ApiClient(client, csrf_from(client.get("/login").get_data(as_text=True)))
        answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, (username, answer.get_json())
        return ApiClient(client, answer.get_json()["csrf_token"])

    def __call__(self, username: str | None) -> ApiClient:
        if username not in self.cache:
            self.cache[username] = self.fresh(username)
        return self.cache[username]


@pytest.fixture(scope="module")
def visitors(app):
    return Visitors(app)


@pytest.fixture
def objects(db, visitors):
    """Ids of real demo objects for URL arguments: a carry-out case of General Affairs with its open task,
    an asset, a user to act on (not one of the visitors), a section, a role assignment, a reference item."""
    started = start(visitors("zhangwei"), db, "BM-LT-001")
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["instance"]["id"]
    task_id = open_task(visitors("lihua"), "section_head_review")["id"]
    general = db.scalar(select(Section.id).where(Section.code == "general"))
    target = User(username="target", display_name="目标", password_hash="x", section_id=general)
    db.add(target)
    db.flush()
    db.add(RoleAssignment(user_id=target.id, role="employee", section_id=general))
    db.commit()
    return {"instance_id": case_id, "task_id": task_id, "user_id": target.id, "section_id": general,
            "asset_id": db.scalar(select(Asset.id).where(Asset.register_number == "BM-LT-001")),
            "assignment_id": db.scalar(select(RoleAssignment.id).where(RoleAssignment.user_id == target.id)),
            "item_id": db.scalar(select(ReferenceItem.id).where(ReferenceItem.kind == "repair_unit").limit(1))}


def url_for_rule(endpoint: str, rule: str, objects: dict, ledger_key: str) -> str:
    values = PLAIN_ARGS | objects | {"key": ledger_key} | ENDPOINT_ARGS.get(endpoint, {})

    def fill(match):
        name = match.group(2)
        assert name in values, f"no value for URL argument {name!r} of {rule}: add it to PLAIN_ARGS"
        return str(values[name])
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule)


def call(visitor: ApiClient, method: str, path: str):
    if method == "GET":
        return visitor.get(path)
    headers = {"X-CSRFToken": visitor.token}
    if path.startswith("/api/"):
        return visitor.client.open(path, method=method, json={}, headers=headers)
    return visitor.client.open(path, method=method, data={"csrf_token": visitor.token}, headers=headers)


def refusal_code(response) -> str | None:
    """The code of a 403: from the JSON, or found by its message on an error page."""
    if response.is_json:
        return (response.get_json() or {}).get("code")
    html = response.get_data(as_text=True)
    shown = re.search(r'id="error-message">(.*?)</div>', html, re.S)
    text = shown.group(1).strip() if shown else ""
    for code in ROLE_REFUSALS:
        if text in (message(code, "zh_CN"), message(code, "en")):
            return code
    return "object_level"


def sent_to_sign_in(response) -> bool:
    """The answer to a visitor who must sign in first: 401 not_signed_in on the API, the sign-in page
    otherwise (a wrong password at the sign-in itself is a 401 too, but not this one)."""
    if response.status_code == 401:
        return response.is_json and response.get_json().get("code") == "not_signed_in"
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


def ledger_for(db, username: str | None) -> str:
    """A register the user may read, so that an allowed ledger route is not refused for the key."""
    user = db.scalar(select(User).where(User.username == username)) if username else None
    readable = ledgers.readable(db, user) if user else []
    return readable[0].key if readable else "carry_out"


@pytest.mark.parametrize("endpoint, rule, method", RULES)
def test_the_policy_decides_who_may_call_each_rule(app, db, visitors, objects, endpoint, rule, method):
    access = access_for(endpoint)
    assert access is not None, f"{endpoint} has no line in web/access_policy.py"
    held = {None: set()}
    for username in VISITORS[1:]:
        user_id = db.scalar(select(User.id).where(User.username == username))
        held[username] = set(db.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user_id)))
    allowed = {u: access.allows(u is not None, held[u]) for u in VISITORS}
    # The refused first: a refused request must change nothing, so the allowed ones find the objects intact.
    problems = []
    for username in sorted(VISITORS, key=lambda u: (allowed[u], u or "")):
        visitor = visitors.fresh(username) if endpoint in ENDS_SESSION else visitors(username)
        path = url_for_rule(endpoint, rule, objects, ledger_for(db, username))
        response = call(visitor, method, path)
        who = username or "anonymous"
        assert response.status_code < 500, f"{method} {path} as {who}: {response.status_code}"
        if not allowed[username]:
            if username is None:
                ok = sent_to_sign_in(response)
            else:
                # The policy's refusal, with the message of the rule it enforces (MED.1 ...) where it names one.
                ok = response.status_code == 403 and refusal_code(response) == access_for(endpoint).refusal
            if not ok:
                problems.append(f"{who}: expected a refusal, got {response.status_code}")
        elif sent_to_sign_in(response) and endpoint not in ENDS_SESSION:  # signing out ends at the sign-in page
            problems.append(f"{who}: allowed by the policy, but sent to sign in ({response.status_code})")
        elif response.status_code == 403 and refusal_code(response) in ROLE_REFUSALS:
            problems.append(f"{who}: allowed by the policy, but refused for the role ({refusal_code(response)})")
    assert not problems, f"{method} {rule} ({endpoint}):\n" + "\n".join(problems)


# --- object level: another section's case, task and asset by guessed id ------------------------------

OUTSIDER = "wangfang"  # 王芳, Secretariat: employee and the Secretariat's custodian, no office-wide role
OBJECT_ARGS = ("instance_id", "task_id", "asset_id")


def _object_rules():
    """Every rule open to any signed-in user that takes a case, task or asset id: the services must hide
    other sections' objects there."""
    for param in RULES:
        endpoint, rule, method = param.values
        access = POLICY.get(endpoint)
        if access is not None and not access.anonymous and access.roles is None \
                and any(f":{arg}>" in rule for arg in OBJECT_ARGS):
            yield param


@pytest.mark.parametrize("endpoint, rule, method", list(_object_rules()))
def test_another_sections_case_task_or_asset_is_not_found(db, visitors, objects, endpoint, rule, method):
    path = url_for_rule(endpoint, rule, objects, "carry_out")
    response = call(visitors(OUTSIDER), method, path)
    # A write whose (empty) body is refused first tells nothing about the object either.
    refused_body = method != "GET" and response.status_code in (400, 422) and response.is_json \
        and response.get_json().get("code") in ("validation_failed", "bad_request")
    assert response.status_code == 404 or refused_body, f"{method} {path} as {OUTSIDER}: {response.status_code}"


def test_the_object_level_routes_cover_case_task_and_asset():
    covered = {arg for p in _object_rules() for arg in OBJECT_ARGS if f":{arg}>" in p.values[1]}
    assert covered == set(OBJECT_ARGS)
