"""The daily tick's orchestration: the lifecycle's automatic transitions, the
reminders they queue in the outbox, then sending (README "Reminders, the tick and the worker").

It sits above the domain (`workflow`) and the mail side (`notifications`) and
joins them; the adapters reach it through the composition root's `App`.
"""
