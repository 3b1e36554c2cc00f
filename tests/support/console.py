"""Helpers for console tests: staff accounts, signing in, reading the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.staff.users import NewUser, add_user

PASSWORD = "correct horse battery"
DEPARTMENT_KEYS = {"production", "quality", "rnd", "sales", "logistics"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_staff(factory: sessionmaker[Session], username: str, role: str,
              department: str | None = None, language: str = "en") -> None:
    with factory() as session, session.begin():
        add_user(session, NewUser(username, PASSWORD, role, username.title(), department,
                                  language), department_keys=DEPARTMENT_KEYS)


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post("/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(form.text),
        "next": ""}, follow_redirects=False)
    assert response.status_code == 303, response.text
    landing = client.get(response.headers["location"])
    return csrf_token(landing.text)
