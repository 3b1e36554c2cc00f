"""Staff accounts over HTTP: own password, admin resets, disabling ends sessions, roles."""

from __future__ import annotations

import email
import email.policy
import re

from sqlalchemy import select

from pipeline.db.models import StaffAudit, User
from tests.console.conftest import ConsoleWorld
from tests.support.console import PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "a brand new passphrase"


def _login_status(world: ConsoleWorld, username: str, password: str) -> int:
    client = world.client()
    form = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(form.text), "next": ""},
                       follow_redirects=False).status_code


def _audit(world: ConsoleWorld) -> list[tuple[str, str, str]]:
    with world.runtime.factory() as session:
        return [(a.actor, a.action, a.target) for a in
                session.scalars(select(StaffAudit).order_by(StaffAudit.id))]


def test_account_life_cycle(world: ConsoleWorld) -> None:
    admin, ivy = world.client(), world.client()
    admin_token, ivy_token = sign_in(admin, "ada"), sign_in(ivy, "ivy")

    # Her own password: the current one must be right, then the new one works.
    wrong = ivy.post("/password", data={"csrf_token": ivy_token, "current_password": "nope",
                                        "new_password": NEW_PASSWORD,
                                        "repeat_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    changed = ivy.post("/password", data={"csrf_token": ivy_token, "current_password": PASSWORD,
                                          "new_password": NEW_PASSWORD,
                                          "repeat_password": NEW_PASSWORD},
                       follow_redirects=False)
    assert changed.status_code == 303
    assert _login_status(world, "ivy", PASSWORD) == 401
    assert _login_status(world, "ivy", NEW_PASSWORD) == 303

    # Only an admin manages accounts, and only with the session's CSRF token.
    assert ivy.post("/users/ada", data={"csrf_token": ivy_token,
                                        "action": "disable"}).status_code == 403
    assert admin.post("/users/ivy", data={"action": "disable"}).status_code == 403

    # Disabling ends her open session at once: the very next request is refused.
    assert ivy.get("/queue", follow_redirects=False).status_code == 200
    done = admin.post("/users/ivy", data={"csrf_token": admin_token, "action": "disable"},
                      follow_redirects=False)
    assert done.status_code == 303
    refused = ivy.get("/queue", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    assert _login_status(world, "ivy", NEW_PASSWORD) == 401

    # Enabled again, with a new role and department: she lands in her department.
    admin.post("/users/ivy", data={"csrf_token": admin_token, "action": "enable"})
    role = admin.post("/users/ivy", data={"csrf_token": admin_token, "action": "role",
                                          "role": "handler", "department": "quality"},
                      follow_redirects=False)
    assert role.status_code == 303
    ivy = world.client()
    sign_in(ivy, "ivy", NEW_PASSWORD)
    assert ivy.get("/department").status_code == 200
    assert ivy.get("/queue").status_code == 403
    # A handler needs a department; the last admin cannot lose the role.
    assert admin.post("/users/ivy", data={"csrf_token": admin_token, "action": "role",
                                          "role": "handler"}).status_code == 422
    assert admin.post("/users/ada", data={"csrf_token": admin_token, "action": "role",
                                          "role": "intake"}).status_code == 422

    assert _audit(world) == [
        ("ivy", "password_changed", "ivy"),
        ("ada", "user_disabled", "ivy"),
        ("ada", "user_enabled", "ivy"),
        ("ada", "role_changed", "ivy"),
    ]
    page = admin.get("/users").text
    assert "Ada disabled the account ivy" in page  # sentences, not action names or JSON
    assert "Ada changed the role of ivy: intake (—) → handler (Quality management)." in page


def test_temporary_password_must_be_changed_at_first_sign_in(world: ConsoleWorld) -> None:
    admin, quinn = world.client(), world.client()
    admin_token = sign_in(admin, "ada")
    sign_in(quinn, "quinn")
    reset = admin.post("/users/quinn", data={"csrf_token": admin_token,
                                             "action": "reset_temporary"})
    assert reset.status_code == 200
    found = re.search(r'<code class="secret">([^<]+)</code>', reset.text)
    assert found
    temporary = found.group(1)
    # The reset ended the session quinn had open, and the old password is gone.
    assert quinn.get("/department", follow_redirects=False).status_code == 303
    assert _login_status(world, "quinn", PASSWORD) == 401

    quinn = world.client()
    token = sign_in(quinn, "quinn", temporary)  # lands on the password page
    blocked = quinn.get("/department", follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"] == "/password"
    assert "Choose a new password before you go on" in quinn.get("/password").text
    changed = quinn.post("/password", data={"csrf_token": token, "current_password": temporary,
                                            "new_password": NEW_PASSWORD,
                                            "repeat_password": NEW_PASSWORD},
                         follow_redirects=False)
    assert changed.status_code == 303
    assert quinn.get("/department", follow_redirects=False).status_code == 200
    with world.runtime.factory() as session:
        user = session.scalar(select(User).where(User.username == "quinn"))
        assert user is not None and not user.must_change_password


def test_mailed_reset_link_works_once(world: ConsoleWorld) -> None:
    admin = world.client()
    admin_token = sign_in(admin, "ada")
    admin.post("/users/lou", data={"csrf_token": admin_token, "action": "email",
                                   "email": "lou@shop.example"})
    sent = admin.post("/users/lou", data={"csrf_token": admin_token, "action": "reset_link"})
    assert sent.status_code == 200 and "lou@shop.example" in sent.text
    (mail_file,) = [p for p in world.settings.outbox_dir.glob("*.eml")
                    if b"lou@shop.example" in p.read_bytes()]
    message = email.message_from_bytes(mail_file.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http\S+/reset/(\S+)", body)
    assert link
    path = f"/reset/{link.group(1)}"

    lou = world.client()
    form = lou.get(path)
    assert form.status_code == 200
    done = lou.post(path, data={"csrf_token": csrf_token(form.text),
                                "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
                    follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert _login_status(world, "lou", NEW_PASSWORD) == 303
    assert world.client().get(path).status_code == 410  # once only
    assert ("ada", "password_reset", "lou") in _audit(world)


def test_admin_exports_a_customer_as_a_zip_and_erases_them(world: ConsoleWorld) -> None:
    import io
    import json
    import zipfile

    from pipeline.db.models import Case

    admin, handler = world.client(), world.client()
    token, handler_token = sign_in(admin, "ada"), sign_in(handler, "quinn")
    who = {"email": "WangWei@customer.example"}
    assert handler.post("/customers/export", data={"csrf_token": handler_token,
                                                   **who}).status_code == 403
    assert admin.post("/customers/export", data=who).status_code == 403  # no CSRF token

    exported = admin.post("/customers/export", data={"csrf_token": token, **who})
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    data = json.loads(archive.read("data.json"))
    assert [c["customer_name"] for c in data["cases"]] == ["王伟"]
    assert any(name.startswith("mails/") for name in archive.namelist())

    unconfirmed = admin.post("/customers/erase", data={"csrf_token": token, "reason": "asked",
                                                       **who})
    assert unconfirmed.status_code == 422
    erased = admin.post("/customers/erase", data={"csrf_token": token, "reason": "asked",
                                                  "confirm": "ERASE", **who},
                        follow_redirects=False)
    assert erased.status_code == 303 and erased.headers["location"] == "/users?erased=1"
    with world.runtime.factory() as session:
        cases = {c.reference: c for c in session.scalars(select(Case))}
        assert cases["CP-2026-000001"].customer_name == "[erased]"
        assert "水壶" not in cases["CP-2026-000001"].what_happened
        assert cases["CP-2026-000002"].customer_name == "Jane Smith"  # someone else: kept
    assert "王伟" not in admin.get("/cases/CP-2026-000001").text
    nothing = admin.post("/customers/export", data={"csrf_token": token, **who})
    assert nothing.status_code == 404
    assert [a for _, a, _ in _audit(world)] == ["personal_data_exported", "personal_data_erased"]
