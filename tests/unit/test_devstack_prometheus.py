"""The local Prometheus' configuration: the stack's operator, MinIO, rule files."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import yaml

from devstack.components.prometheus import OPERATOR_JOB, Prometheus, minio_token
from devstack.paths import StackPaths


def _config(tmp_path: Path, offset: int) -> dict[str, object]:
    prometheus = Prometheus(StackPaths(state=tmp_path, port_offset=offset))
    prometheus._write_config()
    loaded: dict[str, object] = yaml.safe_load(prometheus.config.read_text())
    return loaded


def test_operator_of_the_stack_is_scraped_at_its_offset_port_and_rules_are_loaded(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path, 130)
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}  # type: ignore[attr-defined]
    assert jobs[OPERATOR_JOB]["static_configs"] == [{"targets": ["127.0.0.1:25211"]}]
    assert jobs["minio"]["static_configs"] == [{"targets": ["127.0.0.1:19130"]}]
    assert config["rule_files"] == [str(tmp_path / "prometheus" / "rules" / "*.yaml")]
    token_file = Path(jobs["minio"]["authorization"]["credentials_file"])
    assert token_file.stat().st_mode & 0o077 == 0


def test_minio_token_is_an_hs512_jwt_signed_with_the_secret_key() -> None:
    token = minio_token("root", "s3cret-key", lifetime_s=60)
    header, claims, signature = token.split(".")

    def decode(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    assert json.loads(decode(header)) == {"alg": "HS512", "typ": "JWT"}
    assert json.loads(decode(claims))["sub"] == "root"
    expected = hmac.new(b"s3cret-key", f"{header}.{claims}".encode(), hashlib.sha512).digest()
    assert hmac.compare_digest(decode(signature), expected)
