"""Dutch: "donderdag 3 december 2026", "do 3 dec 10:00" (month and day names in lower case)."""

DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "D j b"
SHORT_DATE_FORMAT = "D j b Y"
SHORT_DATETIME_FORMAT = "D j b H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
