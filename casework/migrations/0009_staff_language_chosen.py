"""A staff member's language is "" until they choose one (it was never set before: the "id"
every row holds is the old default, not a choice)."""

from django.db import migrations, models


def forget_default(apps, schema_editor):
    apps.get_model("casework", "StaffProfile").objects.update(language="")


class Migration(migrations.Migration):
    dependencies = [("casework", "0008_notification_codes")]

    operations = [
        migrations.AlterField(
            model_name="staffprofile",
            name="language",
            field=models.CharField(blank=True, default="", max_length=5, verbose_name="language"),
        ),
        migrations.RunPython(forget_default, migrations.RunPython.noop),
    ]
