"""The project's date formats per language (``FORMAT_MODULE_PATH``): one style per locale.

Templates name a format (``|date:"SHORT_DATETIME_FORMAT"``) instead of spelling one out, so a
page never mixes "Dec. 1, 2030" with "Thursday 3 December 2026". English is written the
British way (day before month, 24-hour clock); Dutch writes month and day names in lower case
("do 3 dec"), so its short formats use ``b`` (Django's ``M`` capitalises).

``MONTH_DAY_FORMAT`` is the short day of a chart or a list ("Thu 3 Dec", "do 3 dec").
"""
