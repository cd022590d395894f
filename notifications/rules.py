"""The reminder rules, under the name the mail side has always used.

They are pure date rules of the lifecycle, so they live in the domain
(`workflow.reminders`); this module keeps their names importable here.
"""

from workflow.reminders import (
    Reminder,
    Rule,
    due_reminders,
    next_reminder_on,
    notification_key,
    renews_tacitly,
    schedule,
)

__all__ = [
    "Reminder",
    "Rule",
    "due_reminders",
    "next_reminder_on",
    "notification_key",
    "renews_tacitly",
    "schedule",
]
