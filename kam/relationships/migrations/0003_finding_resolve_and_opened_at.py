"""Finding records keep what would resolve them and the moment they were written, so the
portfolio's findings (page, API, start page) are read from the store instead of computed
per request. Existing rows: ``opened_at`` is their opening day; ``resolve`` is filled in
by a ``findings_refresh`` job enqueued here (the worker runs it after the upgrade)."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import DateTimeField
from django.db.models.functions import Cast


def _backfill(apps, schema_editor):
    FindingRecord = apps.get_model("relationships", "FindingRecord")
    if not FindingRecord.objects.exists():
        return
    FindingRecord.objects.update(opened_at=Cast("opened_on", DateTimeField()))
    from kam.relationships.findings_store import findings_refresh_enqueue

    findings_refresh_enqueue(account_ids=None)


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0002_finding_records_and_stage_history"),
        ("jobs", "0002_fail_thread_work_left_running"),
    ]

    operations = [
        migrations.AddField(
            model_name="findingrecord",
            name="opened_at",
            field=models.DateTimeField(
                db_index=True, default=django.utils.timezone.now, verbose_name="recorded"
            ),
        ),
        migrations.AddField(
            model_name="findingrecord",
            name="resolve",
            field=models.JSONField(blank=True, default=dict, verbose_name="what would resolve it"),
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
    ]
