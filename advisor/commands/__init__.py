"""One module per ``advisor`` subcommand: ``add_parser(subparsers)`` and ``run(args)``."""
