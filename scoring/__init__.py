"""Pure scoring: rule sets as data and functions from session facts to points. No I/O."""
