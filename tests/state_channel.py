"""The state channel's submitter label for tests: `operator:<the OS user running the tests>`.

The registry admits a state-channel label only for the operating-system user the process runs
as (sped/landing/accounts.py), so tests send as that user, never as a made-up name.
"""

from sped.landing.accounts import current_os_user

OPERATOR = f"operator:{current_os_user()}"
INBOX = f"inbox:{current_os_user()}"
