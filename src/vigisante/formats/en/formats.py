"""One date format on every English page (issue 10): 30 Nov 2026, 17:51, 24-hour clock
(the deadlines are Paris times; a 12-hour clock beside them misleads)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
