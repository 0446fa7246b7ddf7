from __future__ import annotations

from flask.testing import FlaskClient

from registry.accounts.models import OrgKind, Role
from tests.conftest import PASSWORD, Factory, csrf_token, login


def test_login_page_speaks_vietnamese_by_default(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html and "Đăng nhập" in html


def test_wrong_password_is_refused_with_a_field_message(client: FlaskClient, make: Factory) -> None:
    user = make.user(make.org())
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": "sai mật khẩu", "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'aria-invalid="true"' in html and "Email hoặc mật khẩu không đúng" in html


def test_empty_login_form_is_a_422_with_field_errors(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": "không phải email", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="password-error"' in html


def test_forms_without_csrf_token_are_rejected(client: FlaskClient, make: Factory) -> None:
    user = make.user(make.org())
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert response.status_code == 400
    login(client, user)
    response = client.post("/tokens", data={"name": "kho", "scopes": "read", "valid_days": "30"})
    assert response.status_code == 400
    assert "ptt_" not in client.get("/tokens").get_data(as_text=True)


def test_login_redirects_only_to_local_pages(client: FlaskClient, make: Factory) -> None:
    user = make.user(make.org())
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.headers["Location"] == "/dashboard"


def test_private_pages_need_a_signed_in_user(client: FlaskClient) -> None:
    for path in ("/dashboard", "/organisation", "/tokens", "/organisations"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_user_sees_only_their_own_organisations_people_and_tokens(
    client: FlaskClient, make: Factory
) -> None:
    mine, theirs = make.org(), make.org(kind=OrgKind.RETAILER)
    me = make.user(mine, name="Trần Văn Bình")
    make.user(theirs, name="Đặng Thu Trang", email="trang@sieuthi.vn")
    login(client, make.user(theirs, email="admin@sieuthi.vn"))
    client.post(
        "/tokens",
        data={
            "name": "kho-sieuthi",
            "scopes": "read",
            "valid_days": "30",
            "csrf_token": csrf_token(client, "/tokens"),
        },
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tokens")})

    login(client, me)
    people = client.get("/organisation").get_data(as_text=True)
    assert "Trần Văn Bình" in people and "Đặng Thu Trang" not in people
    assert "kho-sieuthi" not in client.get("/tokens").get_data(as_text=True)


def test_creating_and_revoking_a_token_from_the_page(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org()))
    response = client.post(
        "/tokens",
        data={
            "name": "máy quét",
            "scopes": ["read", "write"],
            "valid_days": "90",
            "csrf_token": csrf_token(client, "/tokens"),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="new-token">ptt_' in html
    secret = html.split('data-testid="new-token">')[1].split("<")[0]
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )

    listing = client.get("/tokens").get_data(as_text=True)
    assert secret not in listing and "máy quét" in listing
    token_id = listing.split("/tokens/")[1].split("/revoke")[0]
    response = client.post(
        f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/tokens")}
    )
    assert response.status_code == 302
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_another_organisations_token_cannot_be_revoked(client: FlaskClient, make: Factory) -> None:
    owner = make.user(make.org())
    login(client, owner)
    html = client.post(
        "/tokens",
        data={
            "name": "t",
            "scopes": "read",
            "valid_days": "30",
            "csrf_token": csrf_token(client, "/tokens"),
        },
    )
    secret = html.get_data(as_text=True).split('data-testid="new-token">')[1].split("<")[0]
    token_id = client.get("/tokens").get_data(as_text=True).split("/tokens/")[1].split("/")[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/tokens")})

    login(client, make.user(make.org(kind=OrgKind.RETAILER)))
    response = client.post(
        f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/tokens")}
    )
    assert response.status_code == 404
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_token_form_rejects_unknown_scopes(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org()))
    response = client.post(
        "/tokens",
        data={
            "name": "x",
            "scopes": "admin",
            "valid_days": "30",
            "csrf_token": csrf_token(client, "/tokens"),
        },
    )
    assert response.status_code == 422
    assert 'id="scopes-error"' in response.get_data(as_text=True)


def test_viewers_cannot_manage_tokens_or_people(client: FlaskClient, make: Factory) -> None:
    org = make.org()
    login(client, make.user(org, roles=(Role.VIEWER,)))
    assert client.get("/tokens").status_code == 403
    response = client.post(
        "/organisation",
        data={
            "name": "Người mới",
            "email": "moi@htx.vn",
            "password": "mật khẩu đủ dài",
            "roles": "staff",
            "csrf_token": csrf_token(client, "/organisation"),
        },
    )
    assert response.status_code == 403


def test_an_admin_adds_a_person_to_their_organisation(client: FlaskClient, make: Factory) -> None:
    org = make.org()
    login(client, make.user(org))
    data = {
        "name": "Phạm Thị Lụa",
        "email": "lua@htx.vn",
        "password": "mật khẩu đủ dài",
        "roles": "staff",
    }
    response = client.post(
        "/organisation", data={**data, "csrf_token": csrf_token(client, "/organisation")}
    )
    assert response.status_code == 302
    assert "Phạm Thị Lụa" in client.get("/organisation").get_data(as_text=True)
    again = client.post(
        "/organisation", data={**data, "csrf_token": csrf_token(client, "/organisation")}
    )
    assert again.status_code == 422 and 'id="email-error"' in again.get_data(as_text=True)


def test_only_the_authority_registers_organisations(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert client.get("/organisations").status_code == 403


def test_the_authority_registers_an_organisation_with_field_errors_first(
    client: FlaskClient, make: Factory
) -> None:
    login(client, make.user(make.org(kind=OrgKind.AUTHORITY)))
    bad = {
        "code": "có dấu",
        "name": "",
        "kind": "producer",
        "province": "Sài Gòn",
        "commune": "xã Thới Lai",
    }
    response = client.post(
        "/organisations", data={**bad, "csrf_token": csrf_token(client, "/organisations")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("code", "name", "province"):
        assert f'id="{field}-error"' in html
    good = {**bad, "code": "htx-moi", "name": "HTX Mới", "province": "Cần Thơ"}
    response = client.post(
        "/organisations", data={**good, "csrf_token": csrf_token(client, "/organisations")}
    )
    assert response.status_code == 302
    assert "HTX-MOI" in client.get("/organisations").get_data(as_text=True)


def test_sign_out_needs_a_post_with_csrf(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org()))
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert client.get("/dashboard").status_code == 302


def test_a_person_changes_their_password(client: FlaskClient, make: Factory) -> None:
    user = make.user(make.org())
    login(client, user)
    wrong = client.post(
        "/account",
        data={
            "current_password": "đoán sai",
            "new_password": "mật khẩu mới dài",
            "confirm": "mật khẩu mới dài",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.get_data(True)
    differ = client.post(
        "/account",
        data={
            "current_password": PASSWORD,
            "new_password": "mật khẩu mới dài",
            "confirm": "khác hẳn",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert differ.status_code == 422 and 'id="confirm-error"' in differ.get_data(True)
    done = client.post(
        "/account",
        data={
            "current_password": PASSWORD,
            "new_password": "mật khẩu mới dài",
            "confirm": "mật khẩu mới dài",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert done.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, user, password="mật khẩu mới dài")


def test_the_authority_adds_the_first_admin_of_a_new_organisation(
    client: FlaskClient, make: Factory
) -> None:
    new_org = make.org(code="HTX-MOI")
    login(client, make.user(make.org(kind=OrgKind.AUTHORITY)))
    assert "/organisations/HTX-MOI" in client.get("/organisations").get_data(True)
    response = client.post(
        "/organisations/HTX-MOI",
        data={
            "name": "Lê Văn Mới",
            "email": "moi@htx.vn",
            "password": "mật khẩu đủ dài",
            "roles": "admin",
            "csrf_token": csrf_token(client, "/organisations/HTX-MOI"),
        },
    )
    assert response.status_code == 302
    assert "Lê Văn Mới" in client.get("/organisations/HTX-MOI").get_data(True)
    assert client.get("/organisations/KHONG-CO").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    login(client, make.user(new_org))
    assert client.get("/organisations/HTX-MOI").status_code == 403


def test_sign_in_attempts_are_rate_limited_per_address(app: object) -> None:
    from registry import create_app

    limited = create_app({**app.config, "RATE_LIMITS": True})  # type: ignore[attr-defined]
    client = limited.test_client()
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login", data={"email": "a@htx.vn", "password": "x", "csrf_token": token}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert "Quá nhiều yêu cầu" in client.post("/login", data={"csrf_token": token}).get_data(True)
