"""Command-line helpers shared by the recipes."""


def parse_with_preset(parser, argv=None, preset=None, flag="paper"):
    """Parses `argv`; when `--<flag>` is given, `preset` (e.g. a paper's settings) replaces the defaults of every
    option that the command line does not set explicitly, so `--paper --epochs 5` keeps the 5."""
    args = parser.parse_args(argv)
    if preset and getattr(args, flag, False):
        parser.set_defaults(**preset)
        args = parser.parse_args(argv)
    return args
