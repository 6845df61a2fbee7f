"""Administration: the audit log, the WHO safeguards list, data retention."""
