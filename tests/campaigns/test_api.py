"""/api/v1/sms-campaigns/ and /api/v1/sms-templates/: the same rules as the pages, phones masked."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Message
from tests.campaigns.world import whitelisted
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

BODY = "{farmer_name}您好，可用额度{limit_room}元，{outlet}欢迎您。"


def test_make_preview_approve_and_list_messages_through_the_api(users):
    whitelisted(users, 3)
    maker, checker = api_as(users["manager"]), api_as(users["leader"])
    template = maker.post("/api/v1/sms-templates/", {"name": "额度提醒", "body": BODY}, format="json")
    assert template.status_code == 201, template.json()
    made = maker.post("/api/v1/sms-campaigns/", {"name": "春季营销", "template": template.json()["id"]}, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made.json()["status"] == "pending_approval"

    preview = maker.get(f"/api/v1/sms-campaigns/{pk}/preview/").json()
    assert preview["to_send"] == 3 and preview["samples"][0]["text"].endswith("回复T退订")

    refused = maker.post(f"/api/v1/sms-campaigns/{pk}/approve/")
    assert refused.status_code == 403 and refused.json()["code"] in {"maker_checker", "permission_denied"}
    approved = checker.post(f"/api/v1/sms-campaigns/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["progress"]["total"] == 3

    listed = checker.get(f"/api/v1/sms-campaigns/{pk}/messages/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) == 3
    phones = {m.phone for m in Message.objects.filter(campaign_id=pk)}
    assert all(row["phone"] not in phones and "****" in row["phone"] for row in rows)


def test_bad_input_is_a_clear_refusal(users):
    whitelisted(users, 1)
    maker = api_as(users["manager"])
    bad = maker.post("/api/v1/sms-templates/", {"name": "x", "body": "您好{id_number}"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_template"
    template = maker.post("/api/v1/sms-templates/", {"name": "t", "body": BODY}, format="json").json()["id"]
    wrong = maker.post(
        "/api/v1/sms-campaigns/",
        {"name": "c", "template": template, "min_amount": "90000", "max_amount": "1000"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_amount"
    assert not Campaign.objects.exists()
    pk = maker.post("/api/v1/sms-campaigns/", {"name": "c", "template": template}, format="json").json()["id"]
    no_reason = api_as(users["leader"]).post(f"/api/v1/sms-campaigns/{pk}/reject/", {}, format="json")
    assert no_reason.status_code == 400


def test_a_campaign_outside_the_viewers_subtree_is_not_found(users):
    whitelisted(users, 1)
    maker = api_as(users["manager"])
    template = maker.post("/api/v1/sms-templates/", {"name": "t", "body": BODY}, format="json").json()["id"]
    pk = maker.post("/api/v1/sms-campaigns/", {"name": "c", "template": template}, format="json").json()["id"]
    other = api_as(users["manager_b"])
    assert other.get(f"/api/v1/sms-campaigns/{pk}/").status_code == 404
    assert other.get("/api/v1/sms-campaigns/").json()["count"] == 0


def test_an_unsigned_callback_is_refused(api):
    answer = api.post("/api/v1/sms-gateway/receipts/", {"receipts": []}, format="json")
    assert answer.status_code == 401 and answer.json()["code"] == "bad_signature"
