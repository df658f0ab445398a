"""Static files storage: whitenoise's compressed manifest storage, hashed names always."""

from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]  # whitenoise ships no type information


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, gzip-compressed files, named by their hash in every profile: Django's hashed
    storage gives the plain name while DEBUG is on, which under `make run` (DEBUG=1) would
    send pages to the unhashed copies that cannot be cached."""

    def url(self, name, force=False):
        return super().url(name, force=True)
