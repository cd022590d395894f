"""Reminder rules, outbox, email templates and senders."""

import logging

# A library logs; the application (CLI, worker) decides where it goes.
logging.getLogger(f"hamkor.{__name__}").addHandler(logging.NullHandler())
