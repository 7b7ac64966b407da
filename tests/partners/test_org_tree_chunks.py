"""load_org_tree reads its file a chunk at a time and creates new nodes a slice at a time: the same tree.

``partners.importers.CHUNK_ROWS`` and ``partners.services.org.CREATE_SLICE`` are set to two, so that
every file here spans several chunks and slices.
"""

import pytest

from core.models import AuditEvent
from partners import importers
from partners.models import OrgNode
from partners.services import org
from tests.factories import branch_root
from tests.partners.test_load_org_tree import HEADER, load, load_refused, tree


@pytest.fixture
def root(db):
    return branch_root()


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(importers, "CHUNK_ROWS", 2)
    monkeypatch.setattr(org, "CREATE_SLICE", 2)


def outlets_before_their_sub_branches(branch, count):
    rows = [f"O{n},网点{n},outlet,S{n % 3},\n" for n in range(count)]
    rows += [f"S{n},支行{n},sub_branch,{branch.code},priority\n" for n in range(3)]
    return HEADER + "".join(rows)


def test_a_tree_over_several_chunks_and_slices_is_loaded_whole(tmp_path, root):
    assert load(tmp_path, outlets_before_their_sub_branches(root, 7)) == "10 created, 0 updated, 0 unchanged"
    nodes = tree()
    assert nodes["S2"] == ("支行2", "sub_branch", root.code, "priority", f"{root.code}/S2/")
    assert {code: nodes[code][2:] for code in ("O0", "O4", "O5")} == {
        "O0": ("S0", "", f"{root.code}/S0/O0/"),
        "O4": ("S1", "", f"{root.code}/S1/O4/"),
        "O5": ("S2", "", f"{root.code}/S2/O5/"),
    }


def test_a_bad_row_in_the_last_chunk_refuses_the_file_with_its_row_and_writes_nothing(tmp_path, root):
    text = outlets_before_their_sub_branches(root, 7) + "O1,重复网点,outlet,S0,\n"  # row 12 repeats row 3's code
    message, err = load_refused(tmp_path, text)
    assert message.startswith("file_rejected")
    assert "row 12, code: duplicate_in_file" in err
    assert set(OrgNode.objects.values_list("code", flat=True)) == {root.code}
    assert not AuditEvent.objects.filter(action="org_tree_load").exists()


def test_a_row_wider_than_the_header_in_the_last_chunk_names_its_row_and_writes_nothing(tmp_path, root):
    text = outlets_before_their_sub_branches(root, 7) + "O9,网点9,outlet,S0,,多余\n"
    message, _err = load_refused(tmp_path, text)
    assert message.startswith("extra_cells")
    assert "12" in message
    assert set(OrgNode.objects.values_list("code", flat=True)) == {root.code}
