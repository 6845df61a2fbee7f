"""Host facilities imported from master facility lists, and their coordinators."""
