"""Fewer writes per order status change (a wave moves 10,000 orders in one UPDATE; docs/performance.md).

- The order table's shop index goes (the unique (shop, order_sn) and the (shop, status) index lead with shop); the
  reissue and shipping-time indexes become partial (only reissues, only shipped orders), so a status change of an
  unshipped order that is not a reissue writes no entry in them. The indexes are dropped and created directly: an
  ``AlterField`` would make SQLite rebuild the table, and the rebuild drops the order-count triggers with it.
- The count trigger for UPDATE stays a row trigger on PostgreSQL: a statement trigger over transition tables was
  tried for the wave's 10,000-row UPDATE and made every one-row UPDATE that moves no count (re-ingest, most saves)
  ~35 % slower (docs/performance.md, "Fulfilment").
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0016_due_hours"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="reissue_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="kuaifa.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="shop",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="kuaifa.shop",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS kuaifa_order_shop_id_ec8e4235",
                    'CREATE INDEX kuaifa_order_shop_id_ec8e4235 ON kuaifa_order ("shop_id")',
                ),
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS kuaifa_order_reissue_of_id_392fa9a2",
                    'CREATE INDEX kuaifa_order_reissue_of_id_392fa9a2 ON kuaifa_order ("reissue_of_id")',
                ),
            ],
        ),
        migrations.RemoveIndex(
            model_name="order",
            name="order_shipped",
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("shipped_at__isnull", False)), fields=["shipped_at"], name="order_shipped"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("reissue_of__isnull", False)), fields=["reissue_of"], name="order_reissue_of"
            ),
        ),
    ]
