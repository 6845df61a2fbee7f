"""The scheduler: the process (``process``), time-driven transitions (``automation``) and the
reminder rules it applies (``reminders``)."""
