"""The OpenID Connect signing key (RS256): from env YIWANG_OIDC_RSA_PRIVATE_KEY (PEM), otherwise generated
once into the data folder, never the repository. Imported by settings, so it uses no Django models."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def oidc_private_key(data_dir: Path) -> str:
    if pem := os.environ.get("YIWANG_OIDC_RSA_PRIVATE_KEY", "").strip():
        return pem
    path = data_dir / "oidc_rsa_private.pem"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem_bytes = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:  # O_EXCL: two processes starting together keep one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem_bytes)
    return path.read_text()
