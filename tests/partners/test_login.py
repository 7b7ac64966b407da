from django.test import Client

from tests.factories import PASSWORD


def test_the_login_page_is_in_chinese(db):
    page = Client().get("/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()


def test_the_home_page_needs_a_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_each_role_logs_in_and_sees_its_role_and_the_business_date(users):
    for username in ("leader", "approver", "manager", "admin"):
        client = Client()
        response = client.post("/login/", {"username": username, "password": PASSWORD}, follow=True)
        body = response.content.decode()
        assert response.status_code == 200
        assert users[username].get_role_display() in body
        assert 'data-testid="business-date"' in body


def test_repeated_failures_lock_the_account_out(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "manager", "password": "wrong"})
    locked = client.post("/login/", {"username": "manager", "password": PASSWORD})
    assert locked.status_code == 429
    assert "账户已锁定" in locked.content.decode()


def test_english_is_available(users):
    client = Client()
    client.post("/login/", {"username": "manager", "password": PASSWORD})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Business date" in client.get("/").content.decode()
