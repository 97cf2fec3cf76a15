from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Same algorithm name, one iteration: hashes made in tests still verify in the live
    gunicorn process (which uses Django's default hashers and reads the iteration count
    from the hash itself)."""

    iterations = 1
