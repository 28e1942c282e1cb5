"""Imports and optimisation runs left queued or running by the former background threads
never finish now (no job follows them): they are marked failed, so nothing shows them as
running and the next import or run is not held up."""

from django.db import migrations
from django.utils import timezone

REASON = "The worker stopped (kam was upgraded to background jobs while this ran)."


def fail_left_running(apps, schema_editor):
    now = timezone.now()
    for app, model in (("economics", "TransactionImport"), ("allocation", "AllocationRun")):
        Model = apps.get_model(app, model)
        Model.objects.filter(status__in=["queued", "running"]).update(
            status="failed", error=REASON, finished_at=now
        )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_jobs_workers_periodic_runs"),
        ("economics", "0002_investment_transactionimport_costtoserveitem"),
        ("allocation", "0002_function_capacity"),
    ]

    operations = [migrations.RunPython(fail_left_running, migrations.RunPython.noop)]
