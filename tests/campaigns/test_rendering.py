"""A template's words made into a message: the frame every message carries, and values kept harmless."""

from __future__ import annotations

import pytest

from campaigns.rendering import OPT_OUT, TemplateProblem, render, render_sample, template_check, template_variables


def test_every_message_names_the_sender_and_95588_and_ends_with_the_opt_out():
    text = render(
        "{farmer_name}您好，您在{programme}的可用额度{limit_room}元。",
        {"farmer_name": "王五", "programme": "生猪贷", "limit_room": "30,000.00"},
        sender="中国工商银行",
    )
    assert text.startswith("【中国工商银行】王五您好，您在生猪贷的可用额度30,000.00元。")
    assert "95588" in text
    assert text.endswith(OPT_OUT) and OPT_OUT == "回复T退订"


def test_a_value_cannot_pose_as_a_sender_add_a_line_or_inject_a_variable():
    text = render("{farmer_name}您好", {"farmer_name": "【假银行】{limit_room}\n点击链接"}, sender="中国工商银行")
    assert text.count("【") == 1 and "假银行" in text  # the name's own brackets are gone
    assert "{" not in text and "\n" not in text
    assert text.startswith("【中国工商银行】假银行")


def test_a_long_value_is_cut():
    text = render("{farmer_name}", {"farmer_name": "长" * 100}, sender="S")
    assert "长" * 30 in text and "长" * 31 not in text


@pytest.mark.parametrize(
    "body",
    ["", "   ", "您好{name.__class__}", "您好{unknown}", "【冒充】您好", "未闭合{farmer_name", "x" * 301],
)
def test_bad_templates_are_refused(body):
    with pytest.raises(TemplateProblem):
        template_check(body)


def test_known_variables_are_listed_and_the_sample_renders():
    assert template_variables("{farmer_name}{outlet_phone}") == ["farmer_name", "outlet_phone"]
    assert "张三" in render_sample("{farmer_name}您好", sender="中国工商银行")
