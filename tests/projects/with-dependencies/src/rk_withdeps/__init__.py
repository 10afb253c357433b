import rk_corpus_dep  # noqa: F401
