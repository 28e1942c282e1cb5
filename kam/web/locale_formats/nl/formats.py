"""Dutch display formats: one date format on every page, "7 dec 2026".

The month abbreviations are Django's Dutch ones (jan, feb, mrt, ..., dec, without a
full stop), the same as d3's nl-NL time locale that the charts use.
"""

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = "j b Y, H:i"
YEAR_MONTH_FORMAT = "b Y"
MONTH_DAY_FORMAT = "j b"
TIME_FORMAT = "H:i"
