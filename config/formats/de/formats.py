# German formats of the register (Duden conventions; Django's own German formats otherwise).
# Names as in django/conf/locale/de/formats.py; see https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
DATE_FORMAT = "j. F Y"  # 18. September 2027
DATETIME_FORMAT = "l, j. F Y, H:i"  # Samstag, 18. September 2027, 09:00
SHORT_DATETIME_FORMAT = "j. M Y, H:i"  # 18. Sep 2027, 09:00
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
