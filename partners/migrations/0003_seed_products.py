"""The five products counted in cross-selling (综合营销) at the start; the administrator keeps the list from here on."""

from django.db import migrations

PRODUCTS = (
    ("DEBIT_CARD", "借记卡", 10),
    ("MOBILE_BANKING", "手机银行", 20),
    ("PAYROLL", "代发工资", 30),
    ("ACQUIRING", "商户收单", 40),
    ("WEALTH", "理财产品", 50),
)


def seed(apps, schema_editor):
    Product = apps.get_model("partners", "Product")
    for code, name, position in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": name, "position": position})


def unseed(apps, schema_editor):
    Product = apps.get_model("partners", "Product")
    Product.objects.filter(code__in=[code for code, _name, _position in PRODUCTS], holdings__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_products_and_holdings")]

    operations = [migrations.RunPython(seed, unseed)]
