"""English (British style): "Thursday 3 December 2026", "Thu 3 Dec 10:00"."""

DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "D j M"
SHORT_DATE_FORMAT = "D j M Y"
SHORT_DATETIME_FORMAT = "D j M H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
