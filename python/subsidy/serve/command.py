"""The ``subsidy serve`` subcommand: its options, and uvicorn started with SIGHUP as reload."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any, TextIO

from .state import LOOPBACK, ServeConfig

EPILOG = """\
examples:
  subsidy serve --rules rules                         # http://127.0.0.1:8000/ (the page), /api/...
  SUBSIDY_SERVE_TOKEN=s3cret subsidy serve --rules rules --host 0.0.0.0 --port 8080
  kill -HUP PID                                       # load the rule files again, swap atomically

The rule files are read at start and on reload only; no request names a path. Binding to an
address other than loopback needs a token (--token or SUBSIDY_SERVE_TOKEN), sent by clients as
'Authorization: Bearer TOKEN'. The API is described at /api/openapi.json.
"""


def add_command(commands: Any) -> None:
    """Registers ``serve`` on the CLI's subcommands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve", help="serve the HTTP API and the clerk's web page",
        description="Serve the rules as an HTTP JSON API and a web page for clerks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rules", action="append", required=True, metavar="PATH",
                        help="rule file or folder (repeatable), fixed at start")
    parser.add_argument("--host", default=LOOPBACK, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--token", help="required from clients (default: $SUBSIDY_SERVE_TOKEN)")
    parser.add_argument("--max-body", type=int, default=ServeConfig.max_body_bytes, metavar="BYTES",
                        help="largest request body (default 8 MiB)")
    parser.add_argument("--max-batch", type=int, default=ServeConfig.max_batch, metavar="N",
                        help="most records per request (default 10000)")
    parser.add_argument("--time-limit", type=float, default=ServeConfig.time_limit_seconds,
                        metavar="SECONDS", help="time limit per request (default 30)")
    parser.set_defaults(run=run_serve, output=None)


def config_from(args: argparse.Namespace) -> ServeConfig:
    return ServeConfig(
        rules=tuple(args.rules), host=args.host, port=args.port,
        token=args.token or os.environ.get("SUBSIDY_SERVE_TOKEN") or None,
        max_body_bytes=args.max_body, max_batch=args.max_batch,
        time_limit_seconds=args.time_limit,
    )


def run_serve(args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    from .app import create_app

    config = config_from(args)
    app = create_app(config)
    holder = app.state.service.holder

    def on_hangup(signum: int, frame: Any) -> None:
        try:
            holder.reload()
            print(f"subsidy serve: rules reloaded ({holder.current.rules.fingerprint[:12]})",
                  file=sys.stderr)
        except Exception as error:  # a bad edit keeps the rules in service
            print(f"subsidy serve: reload failed, keeping the rules loaded: {error}", file=sys.stderr)

    signal.signal(signal.SIGHUP, on_hangup)
    print(f"subsidy serve: http://{config.host}:{config.port}/ "
          f"(rules {holder.current.rules.fingerprint[:12]})", file=out)
    out.flush()
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")
    return 0
