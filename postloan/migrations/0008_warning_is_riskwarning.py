# The model Warning becomes RiskWarning (风险预警): its old name shadowed Python's built-in Warning.
# Its table keeps its name, postloan_warning: the table is pinned first (a no-op in the database), so the
# rename changes the migration state only and moves no row. The content type follows the rename by itself
# (django.contrib.contenttypes); the model's permissions are renamed here, so that a user or group granted
# "view warning" in the admin keeps it instead of getting a new, ungranted permission.

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def _permissions_rename(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    # Either way the content type is already (forwards) or still (backwards) the renamed model's.
    content_type = ContentType.objects.filter(app_label="postloan", model="riskwarning").first()
    if content_type is None:  # a fresh database: permissions are made after migrate, with the new name
        return
    for action in ACTIONS:
        permissions = Permission.objects.filter(content_type=content_type)
        if not permissions.filter(codename=f"{action}_{new}").exists():
            permissions.filter(codename=f"{action}_{old}").update(codename=f"{action}_{new}")


def permissions_forwards(apps, schema_editor):
    _permissions_rename(apps, "warning", "riskwarning")


def permissions_backwards(apps, schema_editor):
    _permissions_rename(apps, "riskwarning", "warning")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("postloan", "0007_warning_person_keys_kept_by_the_application"),
    ]

    operations = [
        migrations.AlterModelTable(name="warning", table="postloan_warning"),
        migrations.RenameModel(old_name="Warning", new_name="RiskWarning"),
        migrations.RunPython(permissions_forwards, permissions_backwards),
    ]
