"""State changes of the partners app: org tree and users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, audit_record
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.files import sha256_of
from partners.importers import ORG_TREE_COLUMNS, OrgRow, read_org_tree
from partners.models import OrgNode, User
from partners.selectors import org_root


@transaction.atomic
def org_node_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: OrgNode | None = None,
    sub_branch_class: str = "",
    actor: User | None = None,
) -> OrgNode:
    expected_parent = {
        OrgNode.Kind.BRANCH: None,
        OrgNode.Kind.SUB_BRANCH: OrgNode.Kind.BRANCH,
        OrgNode.Kind.OUTLET: OrgNode.Kind.SUB_BRANCH,
    }[OrgNode.Kind(kind)]
    if (parent.kind if parent else None) != expected_parent:
        raise DomainError(
            ErrorCode.INVALID_ORG_PARENT, _("The parent of %(name)s is at the wrong level.") % {"name": name}
        )
    if "/" in code:
        raise DomainError(ErrorCode.INVALID_ORG_CODE, _("A node code cannot contain “/”."))
    path = (parent.path if parent else "") + code + "/"
    node = OrgNode.objects.create(
        code=code, name=name, kind=kind, parent=parent, sub_branch_class=sub_branch_class, path=path
    )
    audit_record(actor=actor, action=AuditAction.ORG_NODE_CREATE, subject=node, code=code, kind=kind)
    return node


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    org_node: OrgNode | None,
    display_name: str = "",
    phone: str = "",
    actor: User | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        role=role,
        org_node=org_node,
        display_name=display_name,
        phone=phone,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action=AuditAction.USER_CREATE, subject=user, role=role)
    return user


# --- loading the tree from a file (load_org_tree) ------------------------------------------------------

CODE_MAX = OrgNode._meta.get_field("code").max_length or 20
NAME_MAX = OrgNode._meta.get_field("name").max_length or 100
# Which level a node's parent is at.
PARENT_KIND = {
    OrgNode.Kind.BRANCH: None,
    OrgNode.Kind.SUB_BRANCH: OrgNode.Kind.BRANCH,
    OrgNode.Kind.OUTLET: OrgNode.Kind.SUB_BRANCH,
}
LEVELS = (OrgNode.Kind.BRANCH, OrgNode.Kind.SUB_BRANCH, OrgNode.Kind.OUTLET)
CREATE_SLICE = 5_000  # new nodes created at a time


@dataclass(frozen=True)
class OrgTreeLoad:
    """What a load did: the codes of the nodes created and updated, and how many rows changed nothing."""

    created: list[str]
    updated: list[str]
    unchanged: int


def org_tree_row_detail(code: str) -> str:
    """The sentence beside a refused cell of an organisation tree file."""
    messages: dict[str, str] = {
        ErrorCode.REQUIRED: _("This column is required and the cell is empty."),
        ErrorCode.TOO_LONG: _("The text is too long."),
        ErrorCode.INVALID_CODE: _("A node code cannot contain “/” or spaces."),
        ErrorCode.DUPLICATE_IN_FILE: _("This code appears earlier in the same file."),
        ErrorCode.INVALID_KIND: _("The level must be branch, sub_branch or outlet."),
        ErrorCode.INVALID_SUB_BRANCH_CLASS: _("A sub-branch's class must be priority, follow_up or specialty."),
        ErrorCode.CLASS_NOT_ALLOWED: _("Only a sub-branch has a class: leave this cell empty."),
        ErrorCode.PARENT_NOT_ALLOWED: _("The branch has no parent: leave this cell empty."),
        ErrorCode.UNKNOWN_PARENT: _("No node has this code, neither in the file nor in the tree."),
        ErrorCode.INVALID_PARENT: _("A sub-branch's parent must be the branch, and an outlet's a sub-branch."),
        ErrorCode.KIND_CHANGED: _("This node exists at another level; the level of a node cannot change."),
        ErrorCode.PARENT_CHANGED: _("This node exists under another parent; nodes cannot be moved by a file."),
        ErrorCode.SECOND_BRANCH: _("The tree has one branch: the branch row must carry the root's code."),
    }
    return messages.get(code, code)


@transaction.atomic
def org_tree_load(*, content: bytes | IO[bytes], filename: str, actor: User | None = None) -> OrgTreeLoad:
    """Add the file's new nodes and update the names and classes of known ones; never delete.

    All or nothing: any bad row refuses the whole file (``file_rejected``, with ``errors``) and
    nothing is written; loading the same file again changes nothing. Rows may come in any order
    (a child before its parent). The tree has one branch, its root: a ``branch`` row must carry the
    root's code and then renames it (a database without a branch takes the file's). Nodes are not
    moved: a known node under another parent, or at another level, is a row error. ``content`` is
    best the open file (binary, seekable), which is then read in chunks, never whole.
    """
    rows = read_org_tree(content, filename)
    existing = {node.code: node for node in OrgNode.objects.select_for_update().order_by("id")}
    errors = _org_rows_check(rows, existing, org_root())
    if errors:
        raise DomainError(
            ErrorCode.FILE_REJECTED,
            _("%(file)s was not loaded: %(count)d rows have errors, and nothing of the file was written.")
            % {"file": filename, "count": len({error["row"] for error in errors})},
            errors=errors,
        )
    created: list[str] = []
    changed: list[OrgNode] = []
    now = timezone.now()
    # A new node's children need only its id and path: a large file's new nodes are created a slice at a
    # time and not kept as model instances (issue 21: memory does not grow with them).
    placed = {code: (node.pk, node.path) for code, node in existing.items()}
    new: list[OrgNode] = []

    def create() -> None:
        for node in OrgNode.objects.bulk_create(new):
            placed[node.code] = (node.pk, node.path)
            created.append(node.code)
        new.clear()

    for level in LEVELS:
        for row in (row for row in rows if row.kind == level):
            node = existing.get(row.code)
            if node is None:
                parent_id, parent_path = placed[row.parent_code] if row.parent_code else (None, "")
                new.append(
                    OrgNode(
                        code=row.code,
                        name=row.name,
                        kind=row.kind,
                        parent_id=parent_id,
                        sub_branch_class=row.sub_branch_class,
                        path=parent_path + row.code + "/",
                    )
                )
                if len(new) == CREATE_SLICE:
                    create()
            elif (node.name, node.sub_branch_class) != (row.name, row.sub_branch_class):
                node.name, node.sub_branch_class, node.updated_at = row.name, row.sub_branch_class, now
                changed.append(node)
        create()
    OrgNode.objects.bulk_update(changed, ["name", "sub_branch_class", "updated_at"])
    result = OrgTreeLoad(
        created=created, updated=[node.code for node in changed], unchanged=len(rows) - len(created) - len(changed)
    )
    root = org_root()
    if (result.created or result.updated) and root is not None:
        audit_record(
            actor=actor,
            action=AuditAction.ORG_TREE_LOAD,
            subject=root,
            file=filename,
            sha256=sha256_of(content),
            created=result.created,
            updated=result.updated,
        )
    return result


def _org_rows_check(rows: list[OrgRow], existing: dict[str, OrgNode], root: OrgNode | None) -> list[dict[str, Any]]:
    """Every row error of the file, in row then column order: {row, column, code, detail}."""
    found: list[tuple[int, str, str]] = []
    in_file: dict[str, OrgRow] = {}
    bad_rows: set[int] = set()

    def refuse(row: OrgRow, column: str, code: ErrorCode) -> None:
        found.append((row.row, column, code))
        bad_rows.add(row.row)

    branch_code = root.code if root is not None else None
    for row in rows:
        code_ok = False
        if not row.code:
            refuse(row, "code", ErrorCode.REQUIRED)
        elif len(row.code) > CODE_MAX:
            refuse(row, "code", ErrorCode.TOO_LONG)
        elif "/" in row.code or any(char.isspace() for char in row.code):
            refuse(row, "code", ErrorCode.INVALID_CODE)
        elif row.code in in_file:
            refuse(row, "code", ErrorCode.DUPLICATE_IN_FILE)
        else:
            code_ok = True
        if not row.name:
            refuse(row, "name", ErrorCode.REQUIRED)
        elif len(row.name) > NAME_MAX:
            refuse(row, "name", ErrorCode.TOO_LONG)
        if not row.kind:
            refuse(row, "kind", ErrorCode.REQUIRED)
        elif row.kind not in OrgNode.Kind.values:
            refuse(row, "kind", ErrorCode.INVALID_KIND)
        elif row.code in existing and existing[row.code].kind != row.kind:
            refuse(row, "kind", ErrorCode.KIND_CHANGED)
        elif row.kind == OrgNode.Kind.BRANCH and code_ok:
            if branch_code is not None and row.code != branch_code:
                refuse(row, "code", ErrorCode.SECOND_BRANCH)
            branch_code = row.code
        if row.kind == OrgNode.Kind.SUB_BRANCH:
            if not row.sub_branch_class:
                refuse(row, "sub_branch_class", ErrorCode.REQUIRED)
            elif row.sub_branch_class not in OrgNode.SubBranchClass.values:
                refuse(row, "sub_branch_class", ErrorCode.INVALID_SUB_BRANCH_CLASS)
        elif row.sub_branch_class and row.kind in OrgNode.Kind.values:
            refuse(row, "sub_branch_class", ErrorCode.CLASS_NOT_ALLOWED)
        if row.kind == OrgNode.Kind.BRANCH and row.parent_code:
            refuse(row, "parent_code", ErrorCode.PARENT_NOT_ALLOWED)
        elif row.kind in (OrgNode.Kind.SUB_BRANCH, OrgNode.Kind.OUTLET) and not row.parent_code:
            refuse(row, "parent_code", ErrorCode.REQUIRED)
        if code_ok:
            in_file[row.code] = row

    # Parents, once every row's code is known: a parent may come after its children.
    codes_by_id = {node.pk: code for code, node in existing.items()}
    for row in rows:
        if row.row in bad_rows or not row.parent_code or in_file.get(row.code) is not row:
            continue
        parent_row = in_file.get(row.parent_code)
        if parent_row is not None and parent_row.row in bad_rows:
            continue  # the parent's own row says what is wrong
        parent_kind = parent_row.kind if parent_row is not None else None
        if parent_kind is None and row.parent_code in existing:
            parent_kind = existing[row.parent_code].kind
        node = existing.get(row.code)
        if parent_kind is None:
            refuse(row, "parent_code", ErrorCode.UNKNOWN_PARENT)
        elif parent_kind != PARENT_KIND[OrgNode.Kind(row.kind)]:
            refuse(row, "parent_code", ErrorCode.INVALID_PARENT)
        elif node is not None and node.parent_id is not None and codes_by_id[node.parent_id] != row.parent_code:
            refuse(row, "parent_code", ErrorCode.PARENT_CHANGED)

    columns = [spec.field for spec in ORG_TREE_COLUMNS]
    details: dict[str, str] = {}
    return [
        {"row": row, "column": column, "code": code, "detail": details.setdefault(code, org_tree_row_detail(code))}
        for row, column, code in sorted(set(found), key=lambda item: (item[0], columns.index(item[1])))
    ]
