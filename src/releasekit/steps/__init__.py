"""One module per release step: plain functions over a ReleaseConfig and a Runner."""
