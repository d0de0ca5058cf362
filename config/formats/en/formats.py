# English formats of the register: day before month, 24-hour clock (the events are in Germany).
# Names as in django/conf/locale/en/formats.py; see https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
DATE_FORMAT = "j F Y"  # 18 September 2027
DATETIME_FORMAT = "l j F Y, H:i"  # Saturday 18 September 2027, 09:00
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 18 Sep 2027, 09:00
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
