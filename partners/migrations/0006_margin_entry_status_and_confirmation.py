"""Margin entries get a status: an anchor's deposit waits for the bank's confirmation.

Every entry written before this migration was posted by the bank (or by the close) and keeps counting.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0005_branch_root_from_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="marginentry",
            name="status",
            field=models.CharField(
                choices=[("pending", "Waiting for the bank's confirmation"), ("posted", "Posted")],
                default="posted",
                max_length=16,
                verbose_name="status",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="marginentry",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="confirmed by",
            ),
        ),
        migrations.AddField(
            model_name="marginentry",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="confirmed at"),
        ),
        migrations.AddIndex(
            model_name="marginentry",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["program"], name="margin_pending_by_program"
            ),
        ),
        migrations.AddConstraint(
            model_name="marginentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["pending", "posted"])), name="margin_entry_status_known"
            ),
        ),
        migrations.AddConstraint(
            model_name="marginentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "posted"), ("kind", "deposit"), _connector="OR"),
                name="margin_entry_only_deposits_wait",
            ),
        ),
        migrations.AddConstraint(
            model_name="marginentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "posted"),
                    models.Q(("confirmed_at__isnull", True), ("confirmed_by__isnull", True)),
                    _connector="OR",
                ),
                name="margin_entry_pending_is_unconfirmed",
            ),
        ),
    ]
