"""A helper of the project's tooling: importing it outside that tooling fails."""

raise RuntimeError("rk_named_setup runs only inside the project's release tooling")
