"""Knowledge-transfer outcomes of missions: the two outcome reports (the professional's and the
host facility's), managers' waivers, and the follow-up surveys at +3/+6/+12 months.

``register(app)`` in ``missions`` wires the hooks: follow-ups are created when a mission
completes, a mission cannot close before both reports are in (or waived), and the scheduler's
``report_due`` / ``follow_up_due`` reminders are dropped once the report or survey is filed.
"""
