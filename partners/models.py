from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.roles import Role


class OrgNode(TimeStampedModel):
    """机构: 分行 (branch) → 支行 (sub-branch) → 网点 (outlet).

    ``path`` is the chain of codes from the root ("SC/CD01/CD0101/"), so a
    subtree is one indexed prefix match.
    """

    class Kind(models.TextChoices):
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")
        OUTLET = "outlet", _("Outlet")

    class SubBranchClass(models.TextChoices):
        PRIORITY = "priority", _("Priority")
        FOLLOW_UP = "follow_up", _("Follow-up")
        SPECIALTY = "specialty", _("Specialty")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("level"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sub_branch_class = models.CharField(
        _("sub-branch class"), max_length=16, choices=SubBranchClass.choices, blank=True, default=""
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("organisation node")
        verbose_name_plural = _("organisation nodes")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="sub_branch") & ~models.Q(sub_branch_class=""))
                | (~models.Q(kind="sub_branch") & models.Q(sub_branch_class="")),
                name="org_node_class_only_on_sub_branch",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="branch") | models.Q(parent__isnull=False),
                name="org_node_only_branch_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")


class User(AbstractUser):
    """用户: one role, a home node whose subtree he sees, and for anchor operators their enterprise."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    org_node = models.ForeignKey(
        OrgNode, verbose_name=_("node"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role in roles
