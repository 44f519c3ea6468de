"""The Bytewax dataflows: decoded events in, points for assets and teams out."""
