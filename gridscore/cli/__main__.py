"""`python -m gridscore.cli`: the same as the `gridscore` command."""

from gridscore.cli.main import main

raise SystemExit(main())
