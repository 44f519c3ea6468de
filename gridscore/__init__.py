"""GridScore: the wiring (settings, CLI, embedded services) around ingest, dataflows, scoring and store."""
