"""Why an upload was refused; the API answers each with its status code and message."""


class UploadRefused(Exception):
    """A client error (400) in an upload; nothing of it is stored."""

    status = 400


class TooLarge(UploadRefused):
    """A chunk, a request, a bundle or a file past its size limit (413)."""

    status = 413
