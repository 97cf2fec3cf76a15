"""Static files: collectstatic (as the Docker build runs it) fingerprints and compresses."""

from django.core.management import call_command
from django.test import override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_collectstatic_writes_fingerprinted_and_compressed_files(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    css = sorted(p.name for p in (tmp_path / "css").iterdir())
    hashed = [n for n in css if n.startswith("app.") and n.endswith(".css") and n != "app.css"]
    assert hashed, css
    assert f"{hashed[0]}.gz" in css and f"{hashed[0]}.br" in css
    assert (tmp_path / "staticfiles.json").exists()
