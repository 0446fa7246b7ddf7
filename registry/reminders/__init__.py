"""Reminders of the reporting calendar (reports/periods.py), recorded by a daily job and shown
to each organisation on its dashboard until the report or confirmation is delivered."""
