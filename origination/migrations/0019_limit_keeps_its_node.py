import django.db.models.deletion
from django.db import migrations, models


def _node(**options: bool) -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False,
        editable=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="partners.orgnode",
        verbose_name="node",
        **options,
    )


class Migration(migrations.Migration):
    """Each limit keeps its farmer's node: added empty, filled from the farmers, then required."""

    dependencies = [
        ("origination", "0018_write_off_moves_principal"),
    ]

    operations = [
        migrations.AddField(model_name="creditlimit", name="org_node", field=_node(null=True)),
        migrations.RunSQL(
            "UPDATE origination_creditlimit c SET org_node_id = f.org_node_id FROM partners_farmer f "
            "WHERE f.id = c.farmer_id",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(model_name="creditlimit", name="org_node", field=_node()),
    ]
