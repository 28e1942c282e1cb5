"""English display formats: one date format on every page, "7 Dec 2026".

Only display formats: the input formats stay Django's (ISO first), and date inputs use
ISO whatever the language (kam.web.widgets).
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
