"""Bad input on the JSON API: schemathesis generates requests from the OpenAPI document (web/api/openapi.py,
from the marshmallow schemas) and sends them to the app signed in; no answer may be a server error. And
oversized and malformed bodies are refused cleanly, as JSON."""
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from app import create_app
from tests.conftest import PASSWORD

# A few examples per operation, each sent as every user below: about a minute for the API on one database.
EXAMPLES = 10
FUZZ_USERS = ("admin", "secadmin", "chenjing")  # the system and security administrators, the security office


def _operations():
    """(path, method) of every operation, from a throwaway app's document (pytest needs them to collect)."""
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "BAOMI_SCHEDULER": "off", "TESTING": True})
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    app.extensions["db_engine"].dispose()
    return [pytest.param(path, method.upper(), id=f"{method.upper()} {path}")
            for path, operations in document["paths"].items() for method in operations]


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture(scope="module")
def sessions_of(app):
    """The cookie of a signed-in session and the header with its CSRF token, per user, signed in once (the demo office's
    ids are the same in every test, so the session stays valid)."""
    cache = {}

    def headers(username: str) -> dict:
        if username not in cache:
            client = app.test_client()
            answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
            assert answer.status_code == 200, answer.get_json()
            cache[username] = ({"session": client.get_cookie("session").value},
                               {"X-CSRFToken": answer.get_json()["csrf_token"]})
        return cache[username]
    return headers


@pytest.mark.parametrize("path, method", _operations())
def test_no_request_makes_a_server_error(api_schema, sessions_of, path, method):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def examples(case):
        for username in FUZZ_USERS:
            cookies, headers = sessions_of(username)
            response = case.call(cookies=cookies, headers=headers)
            case.validate_response(response, checks=[not_a_server_error])
    examples()


def test_the_document_describes_the_api_from_the_schemas(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    role = document["paths"]["/api/v1/org/users/{user_id}/roles"]["post"]
    body = role["requestBody"]["content"]["application/json"]["schema"]
    assert {"role", "section_id", "start_date", "end_date"} <= set(body["properties"])
    assert role["parameters"][0] == {"name": "user_id", "in": "path", "required": True,
                                     "schema": {"type": "integer", "minimum": 0}}
    assert "/api/v1/openapi.json" not in document["paths"]


# --- oversized and malformed bodies ------------------------------------------------------------------

def test_an_oversized_body_is_refused_with_json(app, api):
    client = api("admin")
    limit = app.config["MAX_CONTENT_LENGTH"]
    answer = client.post("/api/v1/org/sections", data=b"{" + b" " * limit + b"}",
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.is_json and answer.get_json()["code"] == "bad_request"


def test_an_oversized_upload_is_refused_with_json(app, api):
    import io
    client = api("admin")
    big = io.BytesIO(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    answer = client.post("/api/v1/org/import", data={"file": (big, "office.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 413 and answer.is_json


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b"null", b"\xff\xfe", b'{"code": "x",}', b""])
def test_a_malformed_json_body_is_refused_with_json(api, body):
    client = api("admin")
    for path in ("/api/v1/org/sections", "/api/v1/processes/carry_out/instances", "/api/v1/security/settings"):
        answer = client.post(path, data=body, headers={"Content-Type": "application/json"})
        assert answer.status_code in (400, 403, 422), (path, body, answer.status_code)
        assert answer.is_json and answer.get_json()["code"], (path, body)
