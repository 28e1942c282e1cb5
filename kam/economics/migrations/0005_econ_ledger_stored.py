"""The account P&Ls stored per account and period (kam.economics.ledger_store), so the
portfolio economics page, its API and the start page's contribution alerts read them instead
of computing every account's P&L per request. An installation with accounts gets a
``ledger_refresh`` job here, which the worker runs after the upgrade; until it has, the
pages compute the figures as before."""

import django.db.models.deletion
from django.db import migrations, models


def _queue_refresh(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    if not Account.objects.exists():
        return
    from kam.economics.ledger_store import ledger_refresh_enqueue

    ledger_refresh_enqueue(all_accounts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_team_history"),
        ("economics", "0004_line_totals_stored"),
        ("jobs", "0002_fail_thread_work_left_running"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerDirty",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("account_id", models.IntegerField(db_index=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name="LedgerSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("as_of", models.DateField(unique=True)),
                ("fingerprint", models.CharField(max_length=64)),
                ("first_day", models.DateField(null=True)),
                ("computed_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name="LedgerStored",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("as_of", models.DateField()),
                ("period", models.SmallIntegerField()),
                ("currency", models.CharField(max_length=3)),
                ("rate_to_base", models.FloatField(null=True)),
                ("revenue", models.FloatField()),
                ("cost_of_goods", models.FloatField()),
                ("payment_days", models.FloatField()),
                ("team", models.FloatField()),
                ("team_hours", models.FloatField()),
                ("logistics", models.FloatField()),
                ("service", models.FloatField()),
                ("rebates", models.FloatField()),
                ("payment_terms", models.FloatField()),
                ("payment_financing", models.FloatField()),
                ("other", models.FloatField()),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.account",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("as_of", "account", "period"),
                        name="one_ledger_row_per_account_period",
                    )
                ],
            },
        ),
        migrations.RunPython(_queue_refresh, migrations.RunPython.noop),
    ]
