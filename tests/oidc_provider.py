"""A small but real OpenID Connect provider for the tests, run in its own process on 127.0.0.1.

It speaks the authorization code flow as a real provider does: discovery, /authorize (it
approves at once, as a provider where the person is already signed in), /token (checks the
client secret, the redirect URI, PKCE S256, and that a code is used once), /jwks (RS256 keys).
What the next sign-in's ID token says is set by POSTing JSON to /_control:
`{"email": ..., "email_verified": ..., "preferred_username": ..., "fault": ...}`; a fault
makes a bad token: `wrong_audience`, `bad_signature`, `expired`.

`python tests/oidc_provider.py PORT CLIENT_ID CLIENT_SECRET` serves until killed.
"""

import base64
import hashlib
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

DEFAULT_IDENTITY = {
    "email": "ada@example.com",
    "email_verified": True,
    "preferred_username": "ada",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "fault": "",
}


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


class Provider:
    def __init__(self, issuer: str, client_id: str, client_secret: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.identity = dict(DEFAULT_IDENTITY)
        self.codes: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        routes = {
            "/.well-known/openid-configuration": lambda: self.discovery(),
            "/jwks": lambda: (200, {"keys": [_jwk(self.key, "k1")]}),
            "/authorize": lambda: self.authorize(query),
            "/token": lambda: self.token(environ, body),
            "/_control": lambda: self.control(body),
        }
        if path not in routes:
            status, data = 404, {"error": "not_found"}
        else:
            status, data = routes[path]()
        if status == 302:
            start_response("302 Found", [("Location", data)])
            return [b""]
        payload = json.dumps(data).encode()
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [payload]

    def discovery(self) -> tuple[int, dict]:
        return 200, {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def control(self, body: bytes) -> tuple[int, dict]:
        with self.lock:
            self.identity = {**DEFAULT_IDENTITY, **json.loads(body or b"{}")}
        return 200, {"ok": True}

    def authorize(self, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {"error": "unauthorized_client"}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {"error": "invalid_request", "error_description": "PKCE required"}
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {"query": query, "identity": dict(self.identity)}
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return 302, f"{query['redirect_uri']}?{answer}"

    def token(self, environ: dict, body: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 401, {"error": "invalid_client"}
        code = form.get("code", "")
        with self.lock:
            grant = self.codes.get(code)
            replayed = code in self.used
            self.used.add(code)
        if grant is None or replayed:
            return 400, {"error": "invalid_grant"}
        asked = grant["query"]
        if form.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        return 200, {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant["identity"], asked.get("nonce")),
        }

    def id_token(self, identity: dict[str, Any], nonce: str | None) -> str:
        now = int(time.time())
        fault = identity.get("fault", "")
        claims = {
            "iss": self.issuer,
            "sub": "sub-" + identity["email"],
            "aud": "someone-else" if fault == "wrong_audience" else self.client_id,
            "iat": now - (7200 if fault == "expired" else 0),
            "exp": now + (-3600 if fault == "expired" else 300),
            "nonce": nonce,
            **{k: v for k, v in identity.items() if k != "fault"},
        }
        key = self.other_key if fault == "bad_signature" else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


class _Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class OidcProvider:
    """The provider in a subprocess; `issuer` to configure Bugtrack with, `next_sign_in()`."""

    CLIENT_ID = "bugtrack-tests"
    CLIENT_SECRET = "s3cret-for-tests"

    def __init__(self) -> None:
        from tests.live import free_port, wait_for_port

        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, __file__, str(self.port), self.CLIENT_ID, self.CLIENT_SECRET]
        self.proc = subprocess.Popen(args)
        wait_for_port(self.port, self.proc)

    def next_sign_in(self, **identity: Any) -> None:
        request = urllib.request.Request(
            self.issuer + "/_control", data=json.dumps(identity).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def env(self) -> dict[str, str]:
        """The environment that points a Bugtrack process at this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.CLIENT_ID,
            "OIDC_CLIENT_SECRET": self.CLIENT_SECRET,
            "OIDC_ALLOWED_NETWORKS": "127.0.0.0/8",
        }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    port, client_id, client_secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = Provider(f"http://127.0.0.1:{port}", client_id, client_secret)
    make_server(
        "127.0.0.1", port, app, server_class=_Threading, handler_class=_Quiet
    ).serve_forever()
