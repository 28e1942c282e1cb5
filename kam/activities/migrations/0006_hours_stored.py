"""The actual-time page's sums stored for the twelve months up to today
(kam.activities.hours_store), so the page reads some 10,000 rows instead of summing every
participation of the year. An installation with activities gets an ``hours_refresh`` job
here, which the worker runs after the upgrade; until it has, the page sums as before."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _queue_refresh(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    if not Activity.objects.exists():
        return
    from kam.activities.hours_store import hours_refresh_enqueue

    hours_refresh_enqueue()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_team_history'),
        ('activities', '0005_activity_created_at_indexes'),
        ("jobs", "0002_fail_thread_work_left_running"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HoursDirty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='HoursSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateField(unique=True)),
                ('start', models.DateField()),
                ('computed_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.CreateModel(
            name='HoursStored',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('minutes', models.PositiveBigIntegerField()),
                ('account', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='activities.hourssnapshot')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('account__isnull', False), ('user__isnull', True)), models.Q(('account__isnull', True), ('user__isnull', False)), _connector='OR'), name='hours_stored_account_or_person')],
            },
        ),
        migrations.RunPython(_queue_refresh, migrations.RunPython.noop),
    ]
