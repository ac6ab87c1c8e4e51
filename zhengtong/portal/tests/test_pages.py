"""HTML pages through django.test.Client: language, login and lockout, access, account, import, masking."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.identifiers import generate_resident_id, resident_id_check_char
from zhengtong.core.masking import mask_resident_id
from zhengtong.registry.models import Person

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


def html_lang(response) -> str:
    match = re.search(r'<html[^>]*\slang="([^"]*)"', html(response))
    assert match, "no <html lang=...>"
    return match.group(1)


def body_classes(response) -> list[str]:
    match = re.search(r'<body[^>]*\sclass="([^"]*)"', html(response))
    return match.group(1).split() if match else []


# --- language ---------------------------------------------------------------------------------


def test_home_defaults_to_simplified_chinese(world, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "zh-Hans"
    assert response.headers["Content-Language"] == "zh-hans"


def test_home_in_english_with_the_language_cookie(world, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.cookies["zt_lang"] = "en"
    response = client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "Staff console" in html(response)


def test_preferences_set_cookies_and_elder_mode_shows_on_the_next_page(world, client):
    response = client.post("/preferences/", {"language": "en", "elder_mode": "1", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies["zt_lang"].value == "en"
    assert response.cookies["zt_elder"].value == "1"
    page = client.get("/login/")
    assert "elder" in body_classes(page)
    assert html_lang(page) == "en"
    # Back to standard text.
    client.post("/preferences/", {"elder_mode": "0"})
    assert "elder" not in body_classes(client.get("/"))


def test_preferences_refuse_foreign_redirects_and_unknown_languages(world, client):
    response = client.post("/preferences/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "zt_lang" not in response.cookies


def test_preferences_are_saved_on_the_account(world):
    client = logged_in(world.citizen)
    client.post("/preferences/", {"language": "en", "elder_mode": "1"})
    world.citizen.refresh_from_db()
    assert (world.citizen.language, world.citizen.elder_mode) == ("en", True)


# --- login ------------------------------------------------------------------------------------


def test_login_with_the_right_password(world, client, password):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "xihu_clerk", "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.session["_auth_user_id"] == str(world.xihu_clerk.pk)
    assert AuditEvent.objects.filter(action="accounts.login", actor_id=world.xihu_clerk.pk).count() == 1


def test_citizen_lands_on_the_account_page(world, client, password):
    response = client.post("/login/", {"username": "citizen", "password": password})
    assert response["Location"] == "/account/"


def test_login_with_a_wrong_password_shows_the_form_error(world, client):
    response = client.post("/login/", {"username": "xihu_clerk", "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "The username or password is wrong." in html(response)
    assert "_auth_user_id" not in client.session


def test_after_five_failures_even_the_right_password_is_refused(world, client, password):
    statuses = [
        client.post("/login/", {"username": "xihu_clerk", "password": f"wrong-{n}-password"}).status_code
        for n in range(5)
    ]
    # The fifth failure reaches the limit and already answers with the lockout page.
    assert statuses == [200, 200, 200, 200, 429]
    response = client.post("/login/", {"username": "xihu_clerk", "password": password})
    assert response.status_code == 429 and response["Retry-After"] == "900"
    assert "Too many failed logins" in html(response)
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked (username + IP pairs).
    response = client.post("/login/", {"username": "citizen", "password": password})
    assert response.status_code == 302


def test_next_parameter_is_kept_but_only_for_this_site(world, client, password):
    response = client.post("/login/?next=/console/audit/", {"username": "xihu_clerk", "password": password})
    assert response["Location"] == "/console/audit/"
    client.logout()
    response = client.post(
        "/login/", {"username": "xihu_clerk", "password": password, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/console/"


def test_logout_needs_post(world, password):
    client = logged_in(world.citizen)
    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


# --- access -----------------------------------------------------------------------------------


def test_console_redirects_anonymous_to_login(world, client):
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/console/"


def test_console_is_forbidden_for_citizens(world):
    response = logged_in(world.citizen).get("/console/")
    assert response.status_code == 403
    assert "You may not do this" in html(response)


def test_console_opens_for_staff(world):
    response = logged_in(world.xihu_clerk).get("/console/")
    assert response.status_code == 200
    assert "西湖区" in html(response)


def test_account_requires_login(world, client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/"


def test_other_county_person_page_is_404(world):
    person = world.person(world.village)
    response = logged_in(world.yiwu_clerk).get(f"/console/registry/persons/{person.pk}/")
    assert response.status_code == 404
    assert person.name not in html(response)


# --- account page -----------------------------------------------------------------------------


def test_account_page_offers_real_name_verification_to_citizens(world):
    response = logged_in(world.citizen).get("/account/")
    assert response.status_code == 200
    assert 'name="action" value="real_name"' in html(response)
    assert 'name="rn-resident_id"' in html(response)


def test_real_name_form_verifies_and_the_form_disappears(world):
    person = world.person(world.village, name="张三")
    client = logged_in(world.citizen)
    response = client.post(
        "/account/", {"action": "real_name", "rn-name": "张三", "rn-resident_id": person.resident_id}
    )
    assert response.status_code == 302
    world.citizen.refresh_from_db()
    assert world.citizen.is_real_name is True
    page = html(client.get("/account/"))
    assert 'value="real_name"' not in page
    assert mask_resident_id(person.resident_id) in page
    assert person.resident_id not in page


def test_real_name_form_shows_the_check_character_error(world):
    person = world.person(world.village, name="张三")
    expected = resident_id_check_char(person.resident_id[:17])
    wrong = "1" if expected != "1" else "2"
    response = logged_in(world.citizen).post(
        "/account/",
        {"action": "real_name", "rn-name": "张三", "rn-resident_id": person.resident_id[:17] + wrong},
    )
    assert response.status_code == 200
    assert f"check character should be {expected}, not {wrong}" in html(response)
    world.citizen.refresh_from_db()
    assert world.citizen.is_real_name is False


# --- registry pages ---------------------------------------------------------------------------


def test_import_page_with_a_bad_file_shows_the_errors_and_imports_nothing(world):
    good = generate_resident_id("330106", dt.date(1980, 1, 1), 11)
    other = generate_resident_id("330106", dt.date(1981, 1, 1), 13)
    expected = resident_id_check_char(other[:17])
    bad = other[:17] + ("1" if expected != "1" else "2")
    text = f"身份证号,姓名,行政区划代码\r\n{good},张三,330106\r\n{bad},李四,330106\r\n"
    client = logged_in(world.xihu_clerk)
    assert client.get("/console/registry/import/").status_code == 200
    response = client.post(
        "/console/registry/import/",
        {"kind": "persons", "file": SimpleUploadedFile("p.csv", text.encode("gbk"), content_type="text/csv")},
    )
    assert response.status_code == 422
    page = html(response)
    assert "Not imported: nothing was changed" in page
    assert '<tr><th scope="row">3</th><td class="mono">resident_id</td>' in page
    assert f"check character should be {expected}, not {bad[-1]}" in page
    assert Person.objects.count() == 0


def test_import_page_with_a_good_file(world):
    good = generate_resident_id("330106", dt.date(1980, 1, 1), 11)
    text = f"身份证号,姓名,行政区划代码\r\n{good},张三,330106\r\n"
    response = logged_in(world.xihu_clerk).post(
        "/console/registry/import/",
        {"kind": "persons", "file": SimpleUploadedFile("p.csv", text.encode(), content_type="text/csv")},
    )
    assert response.status_code == 200
    assert "Imported" in html(response)
    assert Person.objects.filter(resident_id=good).count() == 1


@pytest.mark.parametrize("who", ["xihu_clerk", "xihu_viewer"])
def test_no_page_shows_a_raw_resident_id(world, who):
    person = world.person(world.village, name="张三", phone="13912345678")
    client = logged_in(getattr(world, who))
    masked = mask_resident_id(person.resident_id)
    for url in ("/console/registry/persons/", f"/console/registry/persons/{person.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        page = html(response)
        assert person.resident_id not in page
        assert masked in page
        assert "13912345678" not in page


def test_browser_language_does_not_override_the_default(world, client):
    # Headless browsers and many PCs send Accept-Language: en; the portal still answers in zh-Hans.
    page = html(client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert 'lang="zh-Hans"' in page


def test_failed_login_is_in_the_audit_trail_with_the_username_only(world, client):
    client.post("/login/", {"username": "xihu_clerk", "password": "wrong-password-1"})
    event = AuditEvent.objects.filter(action="accounts.login_failed").get()
    assert (event.actor_id, event.target_label, event.before, event.after) == (None, "xihu_clerk", None, None)
    assert "wrong-password-1" not in str(event.__dict__)


def test_wrong_password_message_states_the_configured_limits(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 7
    response = client.post("/login/", {"username": "xihu_clerk", "password": "wrong-password-1"})
    assert "After 7 failed tries the account is locked for 15 minutes." in html(response)


def test_platform_admin_sees_every_correction_request(world, client, password):
    from zhengtong.accounts.services import role_grant, user_create
    from zhengtong.registry import services

    person = world.person(name="赵六")
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="赵六")
    req = services.correction_submit(
        actor=world.citizen, field="address", requested_value="新址1号", reason="搬家"
    )
    admin = user_create(
        actor=world.system, username="padmin", password=password, kind="admin", org_unit=world.province
    )
    role_grant(actor=world.system, user=admin, role="platform_admin", org_unit=world.province)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    assert client.get(f"/console/registry/corrections/{req.pk}/").status_code == 200
    assert str(req.pk) in html(client.get("/console/registry/corrections/"))


def test_citizen_registers_and_lands_on_the_account_page_logged_in(world, client):
    response = client.post(
        "/register/",
        {
            "username": "wang_wu",
            "password": "Rivers-and-hills-9",
            "password2": "Rivers-and-hills-9",
            "phone": "139 1234 5678",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    from zhengtong.accounts.models import User

    user = User.objects.get(username="wang_wu")
    assert (user.kind, user.phone, user.is_real_name, user.org_unit_id) == (
        "citizen",
        "13912345678",
        False,
        None,
    )
    assert AuditEvent.objects.filter(action="accounts.user.create", target_id=str(user.pk)).count() == 1
    assert "_auth_user_id" in client.session


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"username": "ab", "password": "Rivers-and-hills-9", "password2": "Rivers-and-hills-9"},
            "username",
            "3 to 150",
        ),
        (
            {"username": "abc", "password": "Rivers-and-hills-9", "password2": "other-Pass-2"},
            "password2",
            "differ",
        ),
        (
            {"username": "abc", "password": "12345678901", "password2": "12345678901"},
            "password",
            "entirely numeric",
        ),
        (
            {
                "username": "abc",
                "password": "Rivers-and-hills-9",
                "password2": "Rivers-and-hills-9",
                "phone": "12012345678",
            },
            "phone",
            "prefix",
        ),
        (
            {"username": "citizen", "password": "Rivers-and-hills-9", "password2": "Rivers-and-hills-9"},
            "username",
            "taken",
        ),
    ],
)
def test_registration_errors_name_the_field_and_create_nothing(world, client, data, field, message):
    from zhengtong.accounts.models import User

    users = User.objects.count()
    response = client.post("/register/", data)
    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert f'id="id_{field}_error"' in page or field == "username"
    assert User.objects.count() == users


def test_a_forged_version_on_an_action_form_is_an_error_message_not_a_crash(world):
    import datetime as dt

    from zhengtong.registry import services
    from zhengtong.registry.models import LicenceType

    lt = LicenceType.objects.create(code="dl2", name="机动车驾驶证", holder_kind="person")
    licence = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="V1",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2020, 1, 1),
        holder_person=world.person(),
    )
    client = Client()
    client.force_login(world.xihu_clerk)
    response = client.post(
        f"/console/registry/licences/{licence.pk}/", {"action": "suspend", "note": "x", "version": "abc"}
    )
    assert response.status_code == 200
    assert "version: reload the page and try again" in html(response)
    licence.refresh_from_db()
    assert (licence.state, licence.version) == ("valid", 0)
