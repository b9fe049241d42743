"""CNET.4's "expiry configurable": a password older than the security setting's days must be changed at the
next sign-in (0 = never); and throttling of sign-ins per network address, besides per username."""
from datetime import timedelta

from sqlalchemy import select, update

from models import User, utcnow
from models.security_settings import SignInAddressThrottle
from services import security_settings
from tests.conftest import PASSWORD, csrf_from

NEW_PASSWORD = "Neu#Pass2027"


def age_password(db, username: str, days: int) -> None:
    db.execute(update(User).where(User.username == username).values(password_changed_at=utcnow() - timedelta(days=days)))
    db.commit()


def set_setting(db, **values) -> None:
    security_settings.update(db, db.scalar(select(User).where(User.username == "secadmin")), values)
    db.commit()


def sign_in_page(app, username: str, password: str = PASSWORD, address: str = "10.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client, client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_an_expired_password_forces_the_change_page_at_sign_in_CNET_4(app, db):
    age_password(db, "zhangwei", 91)  # the default expiry is 90 days
    client, signed_in = sign_in_page(app, "zhangwei")
    assert signed_in.status_code == 302
    inbox = client.get("/inbox")
    assert inbox.status_code == 302 and inbox.headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert 'id="forced-change"' in page and "90" in page
    assert client.get("/api/v1/me").get_json()["code"] == "password_expired"

    # The same password again is no change.
    token = csrf_from(page)
    same = client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                   "new_password": PASSWORD, "repeat_password": PASSWORD})
    assert same.status_code == 422 and "不能与当前密码相同" in same.get_data(as_text=True)
    changed = client.post("/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                      "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert changed.status_code == 302
    assert client.get("/inbox").status_code == 200
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "zhangwei"))
    assert not user.must_change_password and utcnow() - user.password_changed_at < timedelta(minutes=1)


def test_a_password_younger_than_the_expiry_or_with_expiry_off_is_not_forced(app, db):
    age_password(db, "lihua", 89)
    client, _ = sign_in_page(app, "lihua")
    assert client.get("/inbox").status_code == 200
    age_password(db, "zhaolei", 400)
    set_setting(db, password_max_age_days=0)  # 0: passwords never expire
    client, _ = sign_in_page(app, "zhaolei")
    assert client.get("/inbox").status_code == 200


def test_a_shorter_expiry_set_by_the_security_administrator_applies_at_once(api, db):
    age_password(db, "qianyu", 31)
    set_setting(db, password_max_age_days=30)
    client = api("qianyu")
    answer = client.get("/api/v1/me")
    assert answer.status_code == 403 and answer.get_json()["code"] == "password_expired"
    changed = client.post("/api/v1/account/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_one_address_trying_many_usernames_is_blocked(app, api, db):
    set_setting(db, address_lockout_after=3)
    for name in ("zhangwei", "lihua", "nobody"):  # one failure each: no username is throttled
        sign_in_page(app, name, "wrong", address="10.9.9.9")
    _, blocked = sign_in_page(app, "wangfang", address="10.9.9.9")  # even the right password waits
    assert blocked.status_code == 429 and "网络地址" in blocked.get_data(as_text=True)
    _, elsewhere = sign_in_page(app, "wangfang", address="10.1.1.1")
    assert elsewhere.status_code == 302
    db.expire_all()
    row = db.get(SignInAddressThrottle, "10.9.9.9")
    assert row.failures == 3 and row.blocked_until > utcnow()  # in the database: every worker sees it

    # The security administrator lifts the block.
    assert api("secadmin").delete("/api/v1/security/locks/addresses/10.9.9.9").status_code == 204
    _, again = sign_in_page(app, "wangfang", address="10.9.9.9")
    assert again.status_code == 302


def test_the_json_sign_in_counts_per_address_too(app, db):
    set_setting(db, address_lockout_after=2)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.7.7.7"
    for name in ("zhangwei", "lihua"):
        client.post("/api/v1/session", json={"username": name, "password": "wrong"})
    answer = client.post("/api/v1/session", json={"username": "wangfang", "password": PASSWORD})
    assert answer.status_code == 401 and answer.get_json()["code"] == "sign_in_address_blocked"


def test_address_failures_are_forgotten_after_the_window(app, db):
    set_setting(db, address_lockout_after=2, address_lockout_minutes=15)
    sign_in_page(app, "zhangwei", "wrong", address="10.5.5.5")
    db.execute(update(SignInAddressThrottle).values(last_failure_at=utcnow() - timedelta(minutes=16)))
    db.commit()
    sign_in_page(app, "lihua", "wrong", address="10.5.5.5")
    _, fine = sign_in_page(app, "wangfang", address="10.5.5.5")
    assert fine.status_code == 302
