"""Certificates for TLS tests, made with `cryptography`: a private CA and the leaves it issues, or self-signed.

EC P-256 keys: generating one takes well under a millisecond, where RSA-2048 takes tens.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_LIFETIME = timedelta(days=90)


@dataclass(frozen=True)
class CertificateFiles:
    cert_path: Path  # the leaf, PEM
    key_path: Path  # its private key, PEM
    ca_pem: str  # what a client must trust: the issuing CA, or the certificate itself when self-signed
    not_valid_after: datetime
    subject: str  # RFC 4514, e.g. "CN=localhost"

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only `ca_pem`."""
        return ssl.create_default_context(cadata=self.ca_pem)


class _Issuer(NamedTuple):
    name: x509.Name
    key: ec.EllipticCurvePrivateKey
    pem: str


class CertificateAuthority:
    def __init__(self, common_name: str = "Vigil Test CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        public_key = self._key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue(
        self,
        directory: Path,
        *,
        name: str = "leaf",
        common_name: str = "localhost",
        dns_names: Sequence[str] = ("localhost",),
        ip_addresses: Sequence[str] = ("127.0.0.1",),
        not_valid_after: datetime | None = None,
    ) -> CertificateFiles:
        """A server certificate for `dns_names` and `ip_addresses`, written to directory/name.{crt,key}.

        `not_valid_after` may be in the past, for an expired certificate.
        """
        return _write_leaf(
            directory,
            name=name,
            common_name=common_name,
            dns_names=dns_names,
            ip_addresses=ip_addresses,
            not_valid_after=not_valid_after or datetime.now(UTC) + DEFAULT_LIFETIME,
            issuer=_Issuer(self.certificate.subject, self._key, self.pem),
        )


def self_signed_certificate(
    directory: Path,
    *,
    name: str = "self-signed",
    common_name: str = "localhost",
    dns_names: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1",),
    not_valid_after: datetime | None = None,
) -> CertificateFiles:
    return _write_leaf(
        directory,
        name=name,
        common_name=common_name,
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        not_valid_after=not_valid_after or datetime.now(UTC) + DEFAULT_LIFETIME,
        issuer=None,
    )


def _write_leaf(
    directory: Path,
    *,
    name: str,
    common_name: str,
    dns_names: Sequence[str],
    ip_addresses: Sequence[str],
    not_valid_after: datetime,
    issuer: _Issuer | None,  # None: self-signed
) -> CertificateFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    alternative_names: list[x509.GeneralName] = [x509.DNSName(dns_name) for dns_name in dns_names]
    alternative_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    # An expired certificate still needs a validity period that starts before it ends.
    not_valid_before = min(datetime.now(UTC) - timedelta(days=1), not_valid_after - timedelta(days=1))
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.name if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_valid_before)
        .not_valid_after(not_valid_after)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signing_key = issuer.key if issuer else key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False
    )
    certificate = builder.sign(signing_key, hashes.SHA256())

    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(cert_pem)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return CertificateFiles(
        cert_path=cert_path,
        key_path=key_path,
        ca_pem=issuer.pem if issuer else cert_pem,
        not_valid_after=certificate.not_valid_after_utc,
        subject=subject.rfc4514_string(),
    )
