"""The write side: the upload form (:mod:`.form`), the client that sends it and decides
each outcome (:mod:`.client`, over :mod:`releasekit.net`), what to tell a user when an
index refuses (:mod:`.hints`) and progress as the bytes go (:mod:`.progress`)."""

from releasekit.upload.client import FileOutcome, UploadSettings, upload_files
from releasekit.upload.form import DistFile

__all__ = ["DistFile", "FileOutcome", "UploadSettings", "upload_files"]
