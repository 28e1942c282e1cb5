"""An index on a review's scores by rater: the start page counts the person's own scores in
the open reviews (``review_progress_map(raters=...)``) without reading every rater's."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_team_history"),
        ("portfolio", "0008_placement_lists_may_be_empty"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(fields=["review", "rater"], name="portfolio_r_review__317fe1_idx"),
        ),
    ]
