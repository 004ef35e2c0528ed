"""`sped serve`: the web application under uvicorn."""

from __future__ import annotations

import argparse

from sped.cli import common
from sped.config import settings
from sped.web.serve_options import add_trust_options


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web application with uvicorn (a production ASGI server)."""
    import uvicorn

    from sped.web.app import create_app

    inst = common.installation_for(args)
    app = create_app(
        inst,
        settings.profile_path(args.profile),
        as_of=args.as_of,
        start_pipeline=not args.no_pipeline_runs,
        secure_cookies=args.https_only,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    print(f"sped web application: http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,  # paths never hold student ids, but the log stays quiet anyway
        proxy_headers=False,
        server_header=False,
    )
    return 0


def add_commands(sub) -> None:
    """Add this group's commands to the `sped` parser's sub-commands."""
    srv = common.command(
        sub,
        "serve",
        "serve the web application (uvicorn)",
        "The portal where districts send files and read their messages, and where the state "
        "team and auditors read submissions and figures. Listens on 127.0.0.1 by default.",
        cmd_serve,
    )
    srv.add_argument("--warehouse", help=common.WAREHOUSE_HELP)
    srv.add_argument("--profile", help=common.PROFILE_HELP)
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    srv.add_argument("--as-of", help="judge uploads and figures as of this date (default today)")
    srv.add_argument(
        "--no-pipeline-runs",
        action="store_true",
        help="do not start a pipeline run after an accepted upload (an operator or the "
        "schedule loads it)",
    )
    add_trust_options(srv)
