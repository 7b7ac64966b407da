"""load_org_tree: adds and updates nodes from a file, never deletes, all or nothing, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from core.models import AuditEvent
from partners.models import OrgNode
from tests.factories import branch_root

HEADER = "code,name,kind,parent_code,sub_branch_class\n"


@pytest.fixture
def root(db):
    return branch_root()


def load(tmp_path, text, *, name="tree.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    out, err = io.StringIO(), io.StringIO()
    call_command("load_org_tree", str(path), stdout=out, stderr=err)
    return out.getvalue().strip()


def load_refused(tmp_path, text):
    path = tmp_path / "tree.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("load_org_tree", str(path), stdout=io.StringIO(), stderr=err)
    return str(refused.value), err.getvalue()


def tree():
    return {
        node.code: (node.name, node.kind, node.parent.code if node.parent else "", node.sub_branch_class, node.path)
        for node in OrgNode.objects.select_related("parent")
    }


def small_tree(root):
    # the outlet comes before its sub-branch: parents may follow their children
    return (
        HEADER
        + f"{root.code},四川分行,branch,,\n"
        + "GX01,天府大道网点,outlet,GX,\n"
        + f"GX,高新支行,sub_branch,{root.code},priority\n"
        + f"SL,双流支行,sub_branch,{root.code},follow_up\n"
    )


def test_a_file_adds_sub_branches_and_outlets_under_the_root_and_renames_the_root(tmp_path, root):
    assert load(tmp_path, small_tree(root)) == "3 created, 1 updated, 0 unchanged"
    assert tree() == {
        root.code: ("四川分行", "branch", "", "", f"{root.code}/"),
        "GX": ("高新支行", "sub_branch", root.code, "priority", f"{root.code}/GX/"),
        "SL": ("双流支行", "sub_branch", root.code, "follow_up", f"{root.code}/SL/"),
        "GX01": ("天府大道网点", "outlet", "GX", "", f"{root.code}/GX/GX01/"),
    }
    assert AuditEvent.objects.filter(action="org_tree_load").count() == 1


def test_loading_the_same_file_twice_changes_nothing(tmp_path, root):
    load(tmp_path, small_tree(root))
    before = list(OrgNode.objects.order_by("id").values())
    audits = AuditEvent.objects.count()
    assert load(tmp_path, small_tree(root)) == "0 created, 0 updated, 4 unchanged"
    assert list(OrgNode.objects.order_by("id").values()) == before
    assert AuditEvent.objects.count() == audits


def test_known_nodes_get_new_names_and_classes_and_nodes_left_out_of_the_file_stay(tmp_path, root):
    load(tmp_path, small_tree(root))
    again = HEADER + f"GX,高新区支行,sub_branch,{root.code},specialty\n"
    assert load(tmp_path, again) == "0 created, 1 updated, 0 unchanged"
    assert tree()["GX"] == ("高新区支行", "sub_branch", root.code, "specialty", f"{root.code}/GX/")
    assert set(tree()) == {root.code, "GX", "SL", "GX01"}


def test_chinese_headers_and_level_names_in_gbk_are_read(tmp_path, root):
    text = (
        "机构代码,机构名称,机构层级,上级机构代码,支行类别\n"
        f"JJ,锦江支行,支行,{root.code},特色行\n"
        "JJ01,春熙路网点,网点,JJ,\n"
    )
    assert load(tmp_path, text, encoding="gbk") == "2 created, 0 updated, 0 unchanged"
    assert tree()["JJ"][3] == "specialty"
    assert tree()["JJ01"][4] == f"{root.code}/JJ/JJ01/"


def test_an_xlsx_file_is_read_like_a_csv(tmp_path, root):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "parent_code", "sub_branch_class"])
    sheet.append(["PD", "郫都支行", "sub_branch", root.code, "follow_up"])
    content = io.BytesIO()
    book.save(content)
    assert load(tmp_path, content.getvalue(), name="tree.xlsx") == "1 created, 0 updated, 0 unchanged"


def test_a_bad_row_refuses_the_whole_file_with_its_row_and_column_and_nothing_is_written(tmp_path, root):
    text = small_tree(root) + "XJ,新津支行,county,BR,\n"
    message, report = load_refused(tmp_path, text)
    assert message.startswith("file_rejected:")
    assert "row 6, kind: invalid_kind" in report
    assert set(tree()) == {root.code}
    assert tree()[root.code][0] == root.name
    assert not AuditEvent.objects.filter(action="org_tree_load").exists()


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ("XJ,新津支行,sub_branch,NOWHERE,specialty", "parent_code", "unknown_parent"),
        ("XJ01,五津网点,outlet,{root},", "parent_code", "invalid_parent"),
        ("XJ,新津支行,sub_branch,{root},", "sub_branch_class", "required"),
        ("XJ,新津支行,sub_branch,{root},best", "sub_branch_class", "invalid_sub_branch_class"),
        ("XJ01,五津网点,outlet,GX,priority", "sub_branch_class", "class_not_allowed"),
        ("GX,高新支行,sub_branch,{root},priority", "code", "duplicate_in_file"),
        ("SC,四川分行,branch,,", "code", "second_branch"),
        ("{root},分行,branch,GX,", "parent_code", "parent_not_allowed"),
        ("X/1,斜杠网点,outlet,GX,", "code", "invalid_code"),
        (",无代码网点,outlet,GX,", "code", "required"),
        ("XJ01,,outlet,GX,", "name", "required"),
        ("XJ01,五津网点,,GX,", "kind", "required"),
        ("XJ01,五津网点,outlet,,", "parent_code", "required"),
    ],
)
def test_each_kind_of_bad_row_is_named_with_its_row_and_column(tmp_path, root, row, column, code):
    message, report = load_refused(tmp_path, small_tree(root) + row.format(root=root.code) + "\n")
    assert f"row 6, {column}: {code}" in report
    assert message.startswith("file_rejected:")
    assert set(tree()) == {root.code}


def test_a_known_node_cannot_move_or_change_level_through_a_file(tmp_path, root):
    load(tmp_path, small_tree(root))
    moved = HEADER + "GX01,天府大道网点,outlet,SL,\n" + "GX,高新支行,outlet,SL,\n"
    _, report = load_refused(tmp_path, moved)
    assert "row 2, parent_code: parent_changed" in report
    assert "row 3, kind: kind_changed" in report
    assert tree()["GX01"][2] == "GX"


def test_a_file_that_is_not_a_table_is_refused_in_one_line(tmp_path, root):
    message, _ = load_refused(tmp_path, "just words\n")
    assert message.startswith("no_header:") or message.startswith("missing_columns:")
