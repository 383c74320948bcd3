"""One module per ``preo-nb`` command: each adds its parser (``add_parser``) and holds its handler.

Only ``argparse`` and ``pathlib`` are imported at the top of these modules; the handlers import
what they run (papermill, the sandbox) when called, so ``preo-nb --help`` stays fast.
"""
