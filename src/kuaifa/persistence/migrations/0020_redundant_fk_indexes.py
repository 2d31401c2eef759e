"""Drop the foreign-key indexes that another index already leads with (every write paid for both).

Django indexes each foreign key on its own; on these tables a composite index or a unique constraint starts with
the same column and serves the same look-ups (and the delete checks of ``PROTECT``/``CASCADE``):

- order events: (order, created_at) — one index entry fewer for every event written (ingest, review, waves, …);
- reservations: (order, state) and (stock_level, state) — two fewer for every line review reserves;
- wave members: the unique (wave, order) and (wave, slot) — one fewer per order a wave takes;
- shipments: the unique (order, logistics_id, tracking_number); pack records and waybills: (order, …) indexes;
- and the quieter tables the same way (after-sales cases, alert deliveries, bundle components, call failures,
  platform SKUs, quarantined records, stock levels, sync cursors and logs), so the rule holds everywhere:
  ``tests/persistence/test_indexes.py`` finds any index that another one leads with.

As in 0017, the indexes are dropped with SQL and the fields changed in the state only: an ``AlterField`` would make
SQLite rebuild these tables. The reverse creates them again under Django's names.
"""

import django.db.models.deletion
from django.db import migrations, models

#: (model, field, related_name, target, on_delete, table, column, index name as Django made it)
DROPPED = [
    ("orderevent", "order", "events", "kuaifa.order", django.db.models.deletion.CASCADE,
     "kuaifa_orderevent", "order_id", "kuaifa_orderevent_order_id_8fe94485"),
    ("packrecord", "order", "pack_records", "kuaifa.order", django.db.models.deletion.PROTECT,
     "kuaifa_packrecord", "order_id", "kuaifa_packrecord_order_id_1e2207d6"),
    ("reservation", "order", "reservations", "kuaifa.order", django.db.models.deletion.PROTECT,
     "kuaifa_reservation", "order_id", "kuaifa_reservation_order_id_74a8adb1"),
    ("reservation", "stock_level", "reservations", "kuaifa.stocklevel", django.db.models.deletion.PROTECT,
     "kuaifa_reservation", "stock_level_id", "kuaifa_reservation_stock_level_id_381de0de"),
    ("shipment", "order", "shipments", "kuaifa.order", django.db.models.deletion.PROTECT,
     "kuaifa_shipment", "order_id", "kuaifa_shipment_order_id_17088e82"),
    ("waveorder", "wave", "members", "kuaifa.wave", django.db.models.deletion.CASCADE,
     "kuaifa_waveorder", "wave_id", "kuaifa_waveorder_wave_id_4a0b6481"),
    ("waybill", "order", "waybills", "kuaifa.order", django.db.models.deletion.PROTECT,
     "kuaifa_waybill", "order_id", "kuaifa_waybill_order_id_e33e879b"),
    ("aftersalescase", "shop", "aftersales_cases", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_aftersalescase", "shop_id", "kuaifa_aftersalescase_shop_id_bc824f8b"),
    ("alertdelivery", "alert", "deliveries", "kuaifa.alert", django.db.models.deletion.CASCADE,
     "kuaifa_alertdelivery", "alert_id", "kuaifa_alertdelivery_alert_id_b9417e22"),
    ("bundlecomponent", "bundle", "components", "kuaifa.sku", django.db.models.deletion.CASCADE,
     "kuaifa_bundlecomponent", "bundle_id", "kuaifa_bundlecomponent_bundle_id_1cc22a8a"),
    ("platformcallfailure", "shop", "call_failures", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_platformcallfailure", "shop_id", "kuaifa_platformcallfailure_shop_id_3cea1c61"),
    ("platformsku", "shop", "platform_skus", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_platformsku", "shop_id", "kuaifa_platformsku_shop_id_64e82fd6"),
    ("quarantinedrecord", "shop", "quarantined", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_quarantinedrecord", "shop_id", "kuaifa_quarantinedrecord_shop_id_f86ee771"),
    ("stocklevel", "warehouse", "levels", "kuaifa.warehouse", django.db.models.deletion.PROTECT,
     "kuaifa_stocklevel", "warehouse_id", "kuaifa_stocklevel_warehouse_id_9f8df2b5"),
    ("synccursor", "shop", "cursors", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_synccursor", "shop_id", "kuaifa_synccursor_shop_id_fcb52ebb"),
    ("synclog", "shop", "sync_logs", "kuaifa.shop", django.db.models.deletion.CASCADE,
     "kuaifa_synclog", "shop_id", "kuaifa_synclog_shop_id_5d0f4587"),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0019_due_open_moves"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name=field,
                    field=models.ForeignKey(db_index=False, on_delete=on_delete, related_name=related, to=target),
                )
                for model, field, related, target, on_delete, _, _, _ in DROPPED
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}", f'CREATE INDEX IF NOT EXISTS {index} ON {table} ("{column}")'
                )
                for *_, table, column, index in DROPPED
            ],
        ),
    ]
