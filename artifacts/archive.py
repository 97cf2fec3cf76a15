"""Opening an uploaded bundle (a zip) without trusting it.

Refused before anything is stored: not a zip, more entries than `ARTIFACT_MAX_FILES`, an
entry name that is absolute or climbs out (`../`), an entry or the whole archive decompressing
past `ARTIFACT_MAX_FILE_BYTES` / `ARTIFACT_MAX_UNZIPPED_BYTES`. Sizes are counted while
reading, never taken from the zip's own (forgeable) headers alone.
"""

import io
import posixpath
import zipfile
from dataclasses import dataclass

from django.conf import settings

from artifacts.errors import TooLarge, UploadRefused

READ_STEP = 64 * 1024


@dataclass
class SafeArchive:
    """Entries of a checked zip, read on demand with a running byte budget."""

    zf: zipfile.ZipFile
    names: set[str]
    budget: int

    def read(self, name: str) -> bytes:
        if name not in self.names:
            raise UploadRefused(f"The bundle has no entry {name!r}.")
        limit = min(settings.ARTIFACT_MAX_FILE_BYTES, self.budget)
        out = bytearray()
        try:
            with self.zf.open(name) as entry:
                while chunk := entry.read(READ_STEP):
                    out += chunk
                    if len(out) > limit:
                        raise TooLarge(
                            f"{name!r} decompresses past the limit of {limit} bytes."
                            if limit == settings.ARTIFACT_MAX_FILE_BYTES
                            else "The bundle decompresses past "
                            f"{settings.ARTIFACT_MAX_UNZIPPED_BYTES} bytes."
                        )
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise UploadRefused(f"The bundle entry {name[:200]!r} cannot be read: {exc}") from None
        self.budget -= len(out)
        return bytes(out)


def open_archive(data: bytes) -> SafeArchive:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UploadRefused(f"The bundle is not a zip archive: {exc}") from None
    if len(infos) > settings.ARTIFACT_MAX_FILES + 1:  # + the manifest
        raise UploadRefused(
            f"The bundle has {len(infos)} entries; at most {settings.ARTIFACT_MAX_FILES} files."
        )
    names = set()
    declared = 0
    for info in infos:
        _check_name(info.filename)
        declared += info.file_size
        names.add(info.filename)
    if declared > settings.ARTIFACT_MAX_UNZIPPED_BYTES:
        raise TooLarge(
            f"The bundle decompresses to {declared} bytes; the limit is "
            f"{settings.ARTIFACT_MAX_UNZIPPED_BYTES}."
        )
    return SafeArchive(zf, names, settings.ARTIFACT_MAX_UNZIPPED_BYTES)


def _check_name(name: str) -> None:
    """Entry names are only keys here, never paths on disk; refuse ones that would be unsafe
    as paths anyway, as such an archive was not made by sentry-cli."""
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in posixpath.normpath(name).split("/")
        or ".." in name.split("/")
    ):
        raise UploadRefused(f"The bundle has an unsafe entry name {name[:200]!r}.")
