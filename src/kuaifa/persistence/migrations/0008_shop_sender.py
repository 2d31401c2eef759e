from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0007_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="shop", name="sender_name", field=models.CharField(blank=True, default="", max_length=64)
        ),
        migrations.AddField(
            model_name="shop", name="sender_mobile", field=models.CharField(blank=True, default="", max_length=20)
        ),
        migrations.AddField(
            model_name="shop", name="sender_province", field=models.CharField(blank=True, default="", max_length=32)
        ),
        migrations.AddField(
            model_name="shop", name="sender_city", field=models.CharField(blank=True, default="", max_length=32)
        ),
        migrations.AddField(
            model_name="shop", name="sender_district", field=models.CharField(blank=True, default="", max_length=32)
        ),
        migrations.AddField(
            model_name="shop", name="sender_detail", field=models.CharField(blank=True, default="", max_length=200)
        ),
    ]
