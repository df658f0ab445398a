from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0002_ngo_summary"),
        ("tenants", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxPending",
            fields=[
                ("schema_name", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("marked_at", models.DateTimeField()),
            ],
        ),
        # Outbox rows written before the marker existed: mark every NGO once; the first sweep
        # clears the marks of those with nothing pending.
        migrations.RunSQL(
            "INSERT INTO network_outboxpending (schema_name, marked_at) "
            "SELECT schema_name, now() FROM tenants_ngo WHERE NOT is_template "
            "ON CONFLICT DO NOTHING",
            migrations.RunSQL.noop,
        ),
    ]
