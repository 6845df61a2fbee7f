"""Host health workers: a host facility's own staff, as named counterparts and trainees."""
