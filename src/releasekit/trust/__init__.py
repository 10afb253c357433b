"""Trusted publishing: the CI job's OIDC identity (:mod:`.oidc`), traded for a PyPI upload
token (:mod:`.mint`); the release workflow read and checked for it (:mod:`.workflow`,
:mod:`.publisher`); and the doctor comparing a job's token with the publisher (:mod:`.doctor`).
Submodules are imported where used: the workflow check brings PyYAML.
"""
