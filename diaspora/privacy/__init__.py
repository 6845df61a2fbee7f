"""Privacy rights: a person's data export and erasure on request, registry exports without contacts."""
