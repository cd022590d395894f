"""Reminder rules, outbox, email templates and senders."""
