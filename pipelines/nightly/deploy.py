"""``--print-deploy``: the files in deploy/ with this checkout's absolute path and user filled in.

deploy/ is written for /opt/returns-workbench and the user ``returns``; printing them from the
real checkout saves editing paths by hand (deploy/README.md shows both ways).
"""

from __future__ import annotations

import getpass

from pipelines import config

DEPLOY_DIR = config.PROJECT_ROOT / "deploy"
FILES = {
    "cron": "returns-workbench-nightly.cron",
    "service": "returns-workbench-nightly.service",
    "timer": "returns-workbench-nightly.timer",
}
TEMPLATE_ROOT = "/opt/returns-workbench"
TEMPLATE_USER = "returns"


def render_deploy(kind: str) -> str:
    text = (DEPLOY_DIR / FILES[kind]).read_text(encoding="utf-8")
    text = text.replace(TEMPLATE_ROOT, str(config.PROJECT_ROOT))
    if kind == "service":
        user = getpass.getuser()
        text = text.replace(f"User={TEMPLATE_USER}", f"User={user}").replace(
            f"Group={TEMPLATE_USER}", f"Group={user}"
        )
    return text
