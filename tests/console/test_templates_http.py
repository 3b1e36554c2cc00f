"""The Templates page over HTTP: admins only, checked before saving, versions, previews."""

from __future__ import annotations

import base64
import html
import re

from sqlalchemy import select

from pipeline.db.models import StaffAudit, TemplateVersion
from tests.console.conftest import ConsoleWorld
from tests.support.console import sign_in

NAME = "postal_ack.en.letter.j2"


def _versions(world: ConsoleWorld, name: str) -> list[tuple[int, str, str]]:
    with world.runtime.factory() as session:
        return [(v.version, v.saved_by, v.body) for v in session.scalars(
            select(TemplateVersion).where(TemplateVersion.name == name)
            .order_by(TemplateVersion.version))]


def test_only_admins_reach_the_templates(world: ConsoleWorld) -> None:
    for username in ("ivy", "quinn"):
        client = world.client()
        token = sign_in(client, username)
        assert client.get("/templates").status_code == 403
        assert client.get(f"/templates/{NAME}").status_code == 403
        refused = client.post(f"/templates/{NAME}", data={
            "csrf_token": token, "action": "save", "body": "Dear {{ name }}"})
        assert refused.status_code == 403
        assert client.post(f"/templates/{NAME}/restore", data={
            "csrf_token": token, "version": "0"}).status_code == 403
    assert _versions(world, NAME) == []
    admin = world.client()
    token = sign_in(admin, "ada")
    listed = admin.get("/templates")
    assert listed.status_code == 200
    for name in ("acknowledgment.zh.html.j2", "department_notice.txt.j2", NAME):
        assert name in listed.text
    assert "printed letter" in listed.text and "mail, HTML" in listed.text
    # Without the session's CSRF token nothing is saved, even for an admin.
    assert admin.post(f"/templates/{NAME}", data={
        "action": "save", "body": "x {{ reference }}"}).status_code == 403
    assert admin.get("/templates/no_such.txt.j2").status_code == 404
    assert token


def test_a_template_that_does_not_render_is_refused_with_the_error(world: ConsoleWorld) -> None:
    admin = world.client()
    token = sign_in(admin, "ada")
    for body, reason in (("Dear {{ name }", "Line 1"),
                         ("Dear {{ title }},", "&#39;title&#39; is undefined"),
                         ("{{ name.__class__.__mro__ }}", "SecurityError")):
        refused = admin.post(f"/templates/{NAME}", data={
            "csrf_token": token, "action": "save", "body": body})
        assert refused.status_code == 422
        assert "Not saved" in refused.text and reason in refused.text
        assert html.escape(body) in refused.text  # the admin's text is kept to fix it
        previewed = admin.post(f"/templates/{NAME}", data={
            "csrf_token": token, "action": "preview", "body": body})
        assert previewed.status_code == 422 and reason in previewed.text
    assert _versions(world, NAME) == []


def test_save_preview_versions_and_restore(world: ConsoleWorld) -> None:
    admin = world.client()
    token = sign_in(admin, "ada")
    shipped = admin.get(f"/templates/{NAME}")
    assert "Thank you for your letter" in shipped.text
    png = re.search(r'src="data:image/png;base64,([^"]+)"', shipped.text)
    assert png and base64.b64decode(png.group(1)).startswith(b"\x89PNG")

    edited = ("Dear {{ name or \"customer\" }},\n\nWe have your letter of {{ received }}, "
              "case {{ reference }}.\n\nRegards,\n\nCustomer Service, {{ company }}\n")
    draft = admin.post(f"/templates/{NAME}", data={
        "csrf_token": token, "action": "preview", "body": edited})
    assert draft.status_code == 200 and "We have your letter of" in draft.text
    assert "data:image/png;base64," in draft.text
    assert _versions(world, NAME) == []  # a preview saves nothing

    saved = admin.post(f"/templates/{NAME}", data={
        "csrf_token": token, "action": "save", "body": edited}, follow_redirects=False)
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "Saved" in page.text and "We have your letter of" in page.text
    assert _versions(world, NAME) == [(1, "ada", edited)]

    restored = admin.post(f"/templates/{NAME}/restore", data={
        "csrf_token": token, "version": "0"}, follow_redirects=False)
    assert restored.status_code == 303
    versions = _versions(world, NAME)
    assert [v[0] for v in versions] == [1, 2] and "Thank you for your letter" in versions[1][2]
    old = admin.get(f"/templates/{NAME}?version=1")
    assert "We have your letter of" in old.text
    listed = admin.get("/templates")
    assert re.search(rf"{re.escape(NAME)}</a>.*?<td>2</td>", listed.text, re.S)
    with world.runtime.factory() as session:
        audit = [(a.actor, a.action, a.target) for a in session.scalars(select(StaffAudit))]
    assert ("ada", "template_saved", NAME) in audit


def test_html_preview_is_escaped_into_a_sandboxed_frame(world: ConsoleWorld) -> None:
    admin = world.client()
    token = sign_in(admin, "ada")
    body = ('{% extends "_layout.html.j2" %}{% block content %}<p>Hi "{{ name }}"</p>'
            '<script>alert(1)</script>{% endblock %}')
    page = admin.post("/templates/acknowledgment.en.html.j2", data={
        "csrf_token": token, "action": "preview", "body": body})
    assert page.status_code == 200
    frame = re.search(r'<iframe class="preview-html" sandbox="" srcdoc="([^"]*)"', page.text)
    assert frame, page.text[-2000:]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame.group(1)
    assert "<script>alert" not in page.text
