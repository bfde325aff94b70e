"""Federation tests share one hub server process per session (tests/federation/federation_sso_hub.py)."""

from federation.federation_sso_hub import hub_fixture  # noqa: F401
