"""What the missions package adds to documents: the readiness item a licence verification
ticks, the documents of a mission, and certificates of service and CPD statements."""
