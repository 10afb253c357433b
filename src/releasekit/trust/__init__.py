"""Trusted publishing: who the CI job is (:mod:`.identity`, its claims decoded once), its
OIDC token fetched and traded over one HTTP exchange (:mod:`.oidc`) for a PyPI upload token
(:mod:`.mint`); the release workflow read (:mod:`.workflow`, PyYAML) and checked
(:mod:`.publisher`); the doctor comparing a job's token with the publisher (:mod:`.doctor`).
Submodules are imported where used: the workflow check brings PyYAML.
"""
