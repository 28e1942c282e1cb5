"""Open findings keep their account's box in the portfolio review and their cost there
(``kam.core.finding_cost``), so the start page ranks them along an index instead of
computing every cost per request. Existing open rows are filled here, with the same two
statements as ``findings_store.findings_boxes_store``."""

from django.db import migrations, models
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce


def _fill(apps, schema_editor):
    from kam.core import finding_cost as costs

    FindingRecord = apps.get_model("relationships", "FindingRecord")
    Review = apps.get_model("portfolio", "Review")
    Placement = apps.get_model("portfolio", "Placement")
    records = FindingRecord.objects.filter(resolved_on__isnull=True)
    if not records.exists():
        return
    # portfolio.selectors.portfolio_review: the latest closed review by date
    review = Review.objects.filter(status="closed").order_by("-review_date", "-pk").first()
    if review is not None:
        placed = Placement.objects.filter(review=review, account_id=OuterRef("account_id"))
        records.update(box=Coalesce(Subquery(placed.values("box")[:1]), Value("")))
    weight = Case(
        *[When(box=b, then=Value(w)) for b, w in costs.BOX_WEIGHT.items()],
        default=Value(costs.UNPLACED_WEIGHT),
        output_field=IntegerField(),
    )
    records.update(cost=weight * F("severity"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_team_history"),
        ("portfolio", "0008_placement_lists_may_be_empty"),
        ("relationships", "0003_finding_resolve_and_opened_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="findingrecord",
            name="box",
            field=models.CharField(blank=True, max_length=20, verbose_name="box"),
        ),
        migrations.AddField(
            model_name="findingrecord",
            name="cost",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="cost"),
        ),
        migrations.AddIndex(
            model_name="findingrecord",
            index=models.Index(
                condition=models.Q(("resolved_on__isnull", True)),
                fields=["-cost"],
                name="finding_open_by_cost",
            ),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
