"""Notifications: the outbox, the reminders and notices that fill it, the inbox, e-mail."""
