"""Background jobs: work that outlives the request that asked for it (imports, later matching
plans). A job is a row; see ``services`` for how it is queued, claimed and run."""
