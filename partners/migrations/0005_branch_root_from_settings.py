"""A fresh database holds the branch root (BRANCH_CODE, BRANCH_NAME): users without a node act there.

A database that already has a branch keeps its tree as it is; migrating back leaves the root in place
(users, anchors and farmers may hang from it by then).
"""

from django.conf import settings
from django.db import migrations


def create_root(apps, schema_editor):
    OrgNode = apps.get_model("partners", "OrgNode")
    if OrgNode.objects.filter(kind="branch").exists():
        return
    code = settings.BRANCH_CODE
    OrgNode.objects.create(code=code, name=settings.BRANCH_NAME, kind="branch", path=f"{code}/")


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_farmer_drop_redundant_indexes")]

    operations = [migrations.RunPython(create_root, migrations.RunPython.noop)]
