"""The deployment examples of docs/deploy/ work: nginx accepts its configuration (`nginx -t`) and,
run on the loopback in front of real gunicorn workers, redirects HTTP, sends HSTS, serves the static
files itself, passes the headers the app trusts and refuses JSON over the app's 2 MB limit in JSON;
`systemd-analyze verify` accepts the units (whose commands exist in this environment); the environment
file names every setting lbt reads, holds no secret and is accepted as it stands; the backup script
writes, checks and prunes backups."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from configparser import ConfigParser
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import make_url

from lbt.cli import main
from lbt.core.db import make_engine
from lbt.core.migrate import upgrade
from lbt.core.resources import resource_dir
from lbt.core.settings import Settings
from lbt.web.request_input import MAX_JSON_BYTES
from tests.dbutil import temporary_database
from tests.fixtures.gunicorn import free_port, gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
NAME = "lbt.border.example"
VENV_BIN = Path(sys.executable).parent  # where this environment's lbt and gunicorn are
SECRETS = ("LBT_SECRET_KEY", "LBT_SIGNING_KEY", "LBT_MAIL_PASSWORD")


def _required_or_skip(program: str, install: str, *, in_ci: bool = True) -> str:
    """The program's path; without it the test is skipped, or fails where CI installs it."""
    found = shutil.which(program, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if found:
        return found
    reason = f"{program} is not installed ({install})"
    required = [name for name in ("CI", "LBT_REQUIRE_BROWSER") if in_ci and os.environ.get(name)]
    if required:
        pytest.fail(f"{program} is required here ({' and '.join(required)} set) but {reason}")
    pytest.skip(reason)


@contextmanager
def _migrated_database(directory: Path, label: str) -> Iterator[str]:
    with temporary_database(directory, label) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


# --- nginx ------------------------------------------------------------------------------------------


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, private = directory / "fullchain.pem", directory / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, private


def _nginx_config(directory: Path, *, http: int, https: int, upstream: int) -> tuple[Path, Path]:
    """docs/deploy/nginx/lbt.conf with this machine's ports and paths, inside a main configuration
    of its own (nothing of /etc/nginx but mime.types); returns (main configuration, certificate)."""
    directory.mkdir(exist_ok=True)
    cert, key = _certificate(directory)
    (directory / "acme").mkdir()
    text = (DEPLOY / "nginx" / "lbt.conf").read_text(encoding="utf-8")
    for old, new in {
        "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{https} ssl default_server;",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/ssl/lbt/fullchain.pem": str(cert),
        "/etc/ssl/lbt/privkey.pem": str(key),
        "/opt/lbt/venv/lib/python3.11/site-packages/lbt/static/": f"{resource_dir('static')}/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/var/www/acme": str(directory / "acme"),
        "/var/log/nginx/lbt.access.log": str(directory / "lbt.access.log"),
    }.items():
        assert old in text, f"docs/deploy/nginx/lbt.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)  # no IPv6 here
    site = directory / "lbt.conf"
    site.write_text(text, encoding="utf-8")
    temporary = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main_config = directory / "nginx.conf"
    main_config.write_text(
        f"""user root;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {directory / "access.log"};
{temporary}
    include {site};
}}
""",
        encoding="utf-8",
    )
    return main_config, cert


def _nginx(program: str, config: Path, *args: str) -> list[str]:
    return [
        program,
        "-p",
        str(config.parent),
        "-e",
        str(config.parent / "error.log"),
        "-c",
        str(config),
        *args,
    ]


def test_the_nginx_configuration_parses(tmp_path):
    program = _required_or_skip("nginx", "apt-get install nginx")
    config, _cert = _nginx_config(tmp_path, http=free_port(), https=free_port(), upstream=8000)
    result = subprocess.run(_nginx(program, config, "-t"), capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr + (tmp_path / "error.log").read_text()
    assert result.returncode == 0, output
    assert "[warn]" not in output and "[emerg]" not in output, output


@pytest.fixture(scope="module")
def behind_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, int, int]]:
    """gunicorn (LBT_PROXY_COUNT=1) behind nginx with the shipped configuration, for the tests of this
    module; yields a client that trusts the test certificate, and the HTTP and HTTPS ports."""
    program = _required_or_skip("nginx", "apt-get install nginx")
    tmp_path = tmp_path_factory.mktemp("nginx")
    http, https = free_port(), free_port()
    with _migrated_database(tmp_path, "lbt_nginx") as url:
        environment = {
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(tmp_path / "instance"),
            "LBT_SECRET_KEY": "n" * 40,
            "LBT_PUBLIC_URL": f"https://{NAME}",
            "LBT_PROXY_COUNT": "1",
        }
        with gunicorn(tmp_path, environment, workers=1) as port:
            config, cert = _nginx_config(tmp_path / "nginx", http=http, https=https, upstream=port)
            server = subprocess.Popen(_nginx(program, config, "-g", "daemon off;"), stderr=subprocess.PIPE)
            try:
                _wait_for(https, server)
                context = ssl.create_default_context(cafile=str(cert))
                with httpx.Client(verify=context, timeout=10) as client:
                    yield client, http, https
            finally:
                server.terminate()
                errors = server.communicate(timeout=30)[1].decode(errors="replace")
                assert "[emerg]" not in errors and "[crit]" not in errors, errors


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.2)


def _get(client: httpx.Client, https: int, path: str, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    headers = {"Host": f"{NAME}:{https}", **kwargs.pop("headers", {})}
    return client.request(
        kwargs.pop("method", "GET"),
        f"https://127.0.0.1:{https}{path}",
        headers=headers,
        extensions={"sni_hostname": NAME},
        **kwargs,
    )


def test_nginx_redirects_http_sends_hsts_once_and_serves_static_files_itself(behind_nginx):
    client, http, https = behind_nginx
    redirect = client.get(f"http://127.0.0.1:{http}/login?next=/", headers={"Host": NAME})
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"https://{NAME}/login?next=/"

    page = _get(client, https, "/healthz")
    assert page.status_code == 200
    assert page.headers.get_list("strict-transport-security") == ["max-age=31536000; includeSubDomains"]

    static = _get(client, https, "/static/css/lbt.css")
    assert static.status_code == 200
    assert static.content == (resource_dir("static") / "css" / "lbt.css").read_bytes()
    assert static.headers.get_list("strict-transport-security") == ["max-age=31536000; includeSubDomains"]
    assert "max-age=3600" in static.headers["cache-control"]
    assert (
        "content-security-policy" not in static.headers
    )  # nginx's answer: the app sets one on all of its own

    with pytest.raises(httpx.RemoteProtocolError):  # another name gets no answer at all
        client.get(f"http://127.0.0.1:{http}/", headers={"Host": "other.example"})


def test_the_app_trusts_the_scheme_and_host_nginx_passes(behind_nginx):
    """Flask-WTF checks the Referer of a form sent over HTTPS against the host: the app sees HTTPS (the
    POST without Referer is refused) and the host with its port (the right Referer is accepted)."""
    client, _http, https = behind_nginx
    form = _get(client, https, "/login")
    assert form.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    assert token is not None
    data = {"csrf_token": token.group(1), "username": "nobody", "password": "wrong password"}
    no_referrer = _get(client, https, "/login", method="POST", data=data)
    assert no_referrer.status_code == 400  # the only difference from the next one: no Referer
    referrer = {"Referer": f"https://{NAME}:{https}/login"}
    accepted = _get(client, https, "/login", method="POST", data=data, headers=referrer)
    assert accepted.status_code == 401  # past the CSRF check: the wrong password's answer


def test_json_over_the_apps_limit_is_refused_by_nginx_in_json(behind_nginx):
    client, _http, https = behind_nginx
    headers = {"Content-Type": "application/json"}
    too_large = _get(
        client,
        https,
        "/api/v1/crossings",
        method="POST",
        content=b"[" + b" " * MAX_JSON_BYTES + b"]",
        headers=headers,
    )
    assert too_large.status_code == 413
    assert too_large.json() == {"error": "The JSON is too large (at most 2048 kB).", "status": 413}
    below = _get(
        client,
        https,
        "/api/v1/crossings",
        method="POST",
        content=b"[" + b" " * (MAX_JSON_BYTES - 100) + b"]",
        headers=headers,
    )
    assert below.status_code == 401  # reached the app, which wants a token first


# --- systemd ---------------------------------------------------------------------------------------


UNITS = sorted((DEPLOY / "systemd").glob("lbt*.*"))


def _installed(text: str) -> str:
    """A unit as installed on this machine: this environment's programs, the repository's script."""
    return text.replace("/opt/lbt/venv/bin/", f"{VENV_BIN}/").replace(
        "/opt/lbt/bin/lbt-backup", str(DEPLOY / "lbt-backup")
    )


def _unit(path: Path) -> ConfigParser:
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(_installed(path.read_text(encoding="utf-8")))
    return parser


def test_systemd_analyze_verifies_the_units(tmp_path):
    # where it is missing, test_the_units_run_commands_that_exist_here still reads every unit
    program = _required_or_skip("systemd-analyze", "apt-get install systemd", in_ci=False)
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(_installed(unit.read_text(encoding="utf-8")), encoding="utf-8")
        copies.append(str(copy))
    result = subprocess.run([program, "verify", *copies], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def test_the_units_run_commands_that_exist_here():
    assert {unit.name for unit in UNITS} >= {
        "lbt.service",
        "lbt-worker.service",
        "lbt-backup.service",
        "lbt-backup.timer",
    }
    for unit in UNITS:
        parser = _unit(unit)
        if unit.suffix == ".timer":
            assert (unit.parent / f"{unit.stem}.service").is_file() and parser["Timer"]["OnCalendar"]
            continue
        service = parser["Service"]
        assert service["User"] == "lbt" and "/etc/lbt/lbt.env" in unit.read_text()
        for key in ("ExecStartPre", "ExecStart"):
            if key not in service:
                continue
            program, *args = service[key].split()
            assert os.access(program, os.X_OK), f"{unit.name}: {program} is not an executable here"
            if Path(program).name == "lbt":
                command = main.get_command(None, args[0])  # type: ignore[arg-type]
                assert command is not None, f"{unit.name}: `lbt {args[0]}` does not exist"
                if args[1:] and not args[1].startswith("-"):
                    assert command.get_command(None, args[1]) is not None, f"`lbt {' '.join(args[:2])}`"  # type: ignore[attr-defined,arg-type]


# --- the environment file ----------------------------------------------------------------------------


def _environment_file() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "lbt.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _settings_read_by_lbt() -> set[str]:
    names = set()
    for path in (ROOT / "lbt").rglob("*.py"):
        names.update(re.findall(r"""["'](LBT_[A-Z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    return names


def test_the_environment_file_names_every_setting_and_no_secret(tmp_path):
    values = _environment_file()
    missing = sorted(_settings_read_by_lbt() - set(values))
    assert missing == [], f"docs/deploy/lbt.env (and README's configuration table) lack {missing}"
    assert all(values[name] == "" for name in SECRETS)
    assert make_url(values["LBT_DATABASE_URL"]).password is None
    # a shell reads it as systemd does (README: `set -a; . /etc/lbt/lbt.env`)
    script = f"set -a; . {DEPLOY / 'lbt.env'}; env"
    shell = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"}
    )
    seen = dict(line.split("=", 1) for line in shell.stdout.splitlines() if line.startswith("LBT_"))
    assert seen == values
    # and lbt accepts every value as it stands
    settings = Settings.from_env(tmp_path, {**values, "LBT_INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings.proxy_count == 1 and settings.https


# --- the backup script --------------------------------------------------------------------------------


def test_the_backup_script_writes_checks_and_prunes(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "lbt-20200101T000000Z.tar.gz"
    old.write_bytes(b"an old backup")
    os.utime(old, (time.time() - 40 * 86400,) * 2)
    with _migrated_database(tmp_path, "lbt_script") as url:
        environment = {
            **os.environ,
            "LBT": str(VENV_BIN / "lbt"),
            "LBT_DATABASE_URL": url,
            "LBT_INSTANCE_PATH": str(tmp_path / "instance"),
            "BACKUP_DIR": str(backups),
            "BACKUP_KEEP_DAYS": "14",
        }
        result = subprocess.run(
            [str(DEPLOY / "lbt-backup")], capture_output=True, text=True, env=environment, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr
    made = sorted(backups.glob("lbt-*.tar.gz"))
    assert len(made) == 1 and not old.exists()
    digest = (backups / f"{made[0].name}.sha256").read_text().split()[0]
    assert (
        digest
        == subprocess.run(
            ["sha256sum", str(made[0])], capture_output=True, text=True, check=True
        ).stdout.split()[0]
    )
    assert "written, checked" in result.stdout
