"""The deployment files (Dockerfile, .dockerignore, compose.yaml, deploy/k8s/) agree with the app.

No container engine runs here, so these tests parse the files and check them against the
code itself: the variables against what ``load_settings`` reads, the commands against
``app.py``'s parser, the probe paths against the routes of an app built by ``create_app``,
the ports, volume and image name across all files, and that no secret is written in them.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from flask import Flask

from app import _parser, create_app
from dashboard import __version__
from dashboard.config import ENV_PREFIX, ConfigError, Settings, load_settings
from ledger.chain import ARTIFACT

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
COMPOSE_ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
K8S = ROOT / "deploy" / "k8s"
SECRET_TEMPLATE = K8S / "secret.example.yaml"
IMAGE = f"microspacegen:{__version__}"
KUBERNETES_VERSION = "1.37.0"  # the newest API kubernetes-validate (requirements-dev.txt) knows
RUNTIME_PACKAGES = ("analysis", "dashboard", "hardware", "ledger")

# Facts about Debian releases the base image may be built on: its C library (wheels tagged
# manylinux_2_NN need glibc 2.NN) and the major version of its postgresql-client (pg_dump
# refuses a newer server).
DEBIAN = {
    "bookworm": {"glibc": (2, 36), "postgresql": 15},
    "trixie": {"glibc": (2, 41), "postgresql": 17},
}
# Debian package of each program the code may run, when not named like the program.
PACKAGE_OF = {
    "pg_dump": "postgresql-client",
    "pg_restore": "postgresql-client",
    "psql": "postgresql-client",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(?<!CHAIN_)KEY(?!FILE)|DATABASE_URL|BROKER_URL")


# --- Dockerfile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = pending + line
        pending = ""
        keyword, _, args = whole.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


INSTRUCTIONS = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def stages() -> list[list[Instruction]]:
    found: list[list[Instruction]] = []
    for ins in INSTRUCTIONS:
        if ins.keyword == "FROM":
            found.append([])
        assert found, "an instruction before the first FROM"
        found[-1].append(ins)
    return found


FINAL = stages()[-1]


def final(keyword: str) -> list[Instruction]:
    return [i for i in FINAL if i.keyword == keyword]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in final("ENV"):
        for pair in shlex.split(ins.args):
            name, sep, value = pair.partition("=")
            assert sep, f"ENV {pair!r}: write NAME=value"
            env[name] = value
    return env


def image_cmd() -> list[str]:
    (cmd,) = final("CMD")
    argv: list[str] = json.loads(cmd.args)  # exec form: no shell between Docker and Python
    return argv


def healthcheck_cmd() -> list[str]:
    (check,) = final("HEALTHCHECK")
    _, sep, exec_form = check.args.partition("CMD ")
    assert sep, "HEALTHCHECK without CMD"
    argv: list[str] = json.loads(exec_form)
    return argv


def image_uid() -> int:
    (user,) = final("USER")
    uid = user.args.split(":")[0]
    assert uid.isdigit(), "USER by number, so Kubernetes' runAsNonRoot can check it"
    return int(uid)


def apt_packages(stage: list[Instruction]) -> set[str]:
    packages: set[str] = set()
    for ins in stage:
        if ins.keyword != "RUN" or "apt-get install" not in ins.args:
            continue
        words = ins.args.split("apt-get install", 1)[1].split("&&")[0].split()
        packages |= {w for w in words if not w.startswith("-")}
    return packages


def cli(argv: list[str]) -> Any:
    """``argv`` (``python app.py ...``) parsed by app.py's own parser."""
    assert argv[:2] == ["python", "app.py"], argv
    return _parser().parse_args(argv[2:])


# --- compose ----------------------------------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}``."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        got = variables.get(name, "")
        if op.endswith("-") and not got:
            return arg
        if op.endswith("?"):
            assert got, f"{name} is required: {arg}"
        return got

    return INTERPOLATION.sub(one, value)


def compose_env(service: str, variables: dict[str, str]) -> dict[str, str]:
    raw = compose()["services"][service].get("environment", {})
    assert isinstance(raw, dict), "environment as a mapping"
    return {k: interpolate(str(v), variables) for k, v in raw.items()}


def compose_argv(service: str) -> list[str]:
    command = compose()["services"][service].get("command")
    assert command is None or isinstance(command, list), "command in exec form (a list)"
    return command or image_cmd()


# Values a user might put in .env for the optional settings (single sign-on on).
OPTIONAL_VALUES = {
    "MICROSPACEGEN_ADMIN_PASSWORD": "a-long-admin-passphrase",
    "MICROSPACEGEN_SECURE_COOKIES": "1",
    "MICROSPACEGEN_PUBLIC_URL": "https://msg.lab.example.org",
    "MICROSPACEGEN_OIDC_ISSUER": "https://login.example.org/realms/lab",
    "MICROSPACEGEN_OIDC_CLIENT_ID": "microspacegen",
    "MICROSPACEGEN_OIDC_CLIENT_SECRET": "stand-in",
    "MICROSPACEGEN_OIDC_ROLE_MAP": "lab-admins=admin,lab-staff=scientist",
}


def example_variables(*, everything: bool = False) -> dict[str, str]:
    """deploy/compose.env.example's names with values as a user would fill them in: the
    required ones only, or (``everything``) the optional ones too."""
    text = COMPOSE_ENV_EXAMPLE.read_text()
    given = dict(re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", text, re.MULTILINE))
    required = {"POSTGRES_PASSWORD": "stand-in", "MICROSPACEGEN_SECRET_KEY": "k" * 48}
    for name in given:
        if name in required:
            given[name] = required[name]
        elif everything:
            given[name] = OPTIONAL_VALUES[name]
    return given


# --- Kubernetes -------------------------------------------------------------------------------


@cache
def k8s_documents() -> list[dict[str, Any]]:
    """The manifests kustomization applies (every YAML file but itself and the template)."""
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml" or path == SECRET_TEMPLATE:
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def k8s(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == kind}


def deployments() -> dict[str, dict[str, Any]]:
    return k8s("Deployment")


def pod(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = deployments()[name]["spec"]["template"]["spec"]
    return spec


def main_container(name: str) -> dict[str, Any]:
    (container,) = pod(name)["containers"]
    return container


def all_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for name in deployments():
        for c in pod(name).get("initContainers", []) + pod(name)["containers"]:
            yield name, c


@cache
def secret_template() -> dict[str, str]:
    (doc,) = yaml.safe_load_all(SECRET_TEMPLATE.read_text(encoding="utf-8"))
    assert doc["kind"] == "Secret"
    data: dict[str, str] = doc["stringData"]
    return data


def k8s_env(deployment: str, *, everything: bool = False) -> dict[str, str]:
    """The environment Kubernetes gives the main container: the image's ENV, the ConfigMap
    (envFrom), then ``env`` (secret references read from the template). Without
    ``everything``, the Secret has only its required keys; with it, the optional keys too and
    the ConfigMap's commented optional settings are in force."""
    container = main_container(deployment)
    env = dict(image_env())
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        env.update(k8s("ConfigMap")[name]["data"])
        if everything:
            text = (K8S / "configmap.yaml").read_text()
            pattern = rf"^\s*#\s*({ENV_PREFIX}[A-Z_]+): (\S+)$"
            env.update(re.findall(pattern, text, re.MULTILINE))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif everything or not item["valueFrom"]["secretKeyRef"].get("optional"):
            ref = item["valueFrom"]["secretKeyRef"]
            # Filled in as an operator would; the placeholder itself is refused (test below).
            env[item["name"]] = secret_template()[ref["key"]].replace("REPLACE_ME", "s" * 48)
    return env


def named_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def k8s_argv(deployment: str) -> list[str]:
    container = main_container(deployment)
    argv: list[str] = container.get("command", []) + container.get("args", [])
    return argv or image_cmd()


def wait_urls() -> list[tuple[str, str]]:
    """(deployment, URL) of every init container that waits on the web server."""
    found = []
    for name in deployments():
        for init in pod(name).get("initContainers", []):
            found += [
                (name, u) for u in re.findall(r"https?://[^'\"\s]+", " ".join(init["command"]))
            ]
    return found


# --- settings from the files' environments ----------------------------------------------------


class RecordingEnv(dict[str, str]):
    """An environment that remembers which names were looked up."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def settings_for(env: dict[str, str], argv: list[str], data_dir: Path) -> tuple[Settings, set[str]]:
    """What ``python app.py`` makes of this environment and command line, and which variables
    it read. The data directory is moved under pytest's tmp_path (nothing is created in /data)."""
    assert env.get(ENV_PREFIX + "DATABASE_URL", "").startswith("postgresql"), (
        "the deployments use PostgreSQL"
    )
    args = cli(argv)
    recorder = RecordingEnv({**env, ENV_PREFIX + "DATA_DIR": str(data_dir)})
    settings = load_settings(
        recorder,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data_dir", None),
    )
    return settings, recorder.asked


def app_containers(*, everything: bool = False) -> dict[str, tuple[dict[str, str], list[str]]]:
    """Every container that runs app.py: (environment, argv), by a name saying where; with
    the optional settings filled in too when ``everything``."""
    variables = example_variables(everything=everything)
    found = {
        f"compose:{s}": ({**image_env(), **compose_env(s, variables)}, compose_argv(s))
        for s, spec in compose()["services"].items()
        if spec.get("image") == IMAGE
    }
    found |= {f"k8s:{d}": (k8s_env(d, everything=everything), k8s_argv(d)) for d in deployments()}
    assert {"compose:app", "compose:worker", "k8s:microspacegen-web"} <= found.keys()
    return found


# --- the app ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The real app, as built for serving (one per module: building it takes seconds)."""
    data_dir = tmp_path_factory.mktemp("deploy-app")
    app = create_app(load_settings({}, data_dir=data_dir))
    built: Flask = app.server
    return built


def probe_paths() -> dict[str, str]:
    """Every path the files poll, by where it is polled."""
    paths = {}
    for url in re.findall(r"https?://[^'\"\s]+", " ".join(healthcheck_cmd())):
        paths["Dockerfile HEALTHCHECK"] = urlsplit(url).path
    for name in deployments():
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if probe in main_container(name):
                paths[f"{name} {probe}"] = main_container(name)[probe]["httpGet"]["path"]
    for name, url in wait_urls():
        paths[f"{name} wait-for-schema"] = urlsplit(url).path
    return paths


# === the tests ================================================================================


def test_probe_paths_are_open_routes_of_the_app(server: Flask) -> None:
    routes = {rule.rule for rule in server.url_map.iter_rules()}
    paths = probe_paths()
    assert paths["Dockerfile HEALTHCHECK"] == "/readyz"
    assert paths["microspacegen-web readinessProbe"] == "/readyz"
    assert paths["microspacegen-web livenessProbe"] == "/livez"
    client = server.test_client()
    for where, path in paths.items():
        assert path in routes, f"{where} polls {path}, which the app does not route"
        # Open without a login (a redirect to /login would look healthy to urllib and
        # Kubernetes), and ready: this app's schema is current.
        response = client.get(path)
        assert response.status_code == 200, (where, path, response.status_code)
        assert response.get_json() == {"status": "ok"}, (where, path)


def test_one_port_everywhere(tmp_path: Path) -> None:
    args = cli(image_cmd())
    assert args.command == "serve"
    assert args.host == "0.0.0.0", "in a container the server must listen beyond loopback"
    port = load_settings({}, port=args.port, data_dir=tmp_path).port
    assert [int(e.args) for e in final("EXPOSE")] == [port]
    (health_url,) = re.findall(r"https?://[^'\"\s]+", " ".join(healthcheck_cmd()))
    assert urlsplit(health_url).port == port
    # compose publishes that port (on loopback only: a proxy with HTTPS goes in front)
    assert compose()["services"]["app"]["ports"] == [f"127.0.0.1:{port}:{port}"]
    # Kubernetes: the container, the probes and the Service all say the same port
    web = main_container("microspacegen-web")
    assert cli(k8s_argv("microspacegen-web")).port == port
    assert [p["containerPort"] for p in web["ports"]] == [port]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert named_port(web, web[probe]["httpGet"]["port"]) == port
    (service,) = k8s("Service").values()
    (service_port,) = service["spec"]["ports"]
    assert named_port(web, service_port["targetPort"]) == port
    web_labels = deployments()["microspacegen-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= web_labels.items()
    # the workers and the controller wait on that Service by its name and port
    for _, url in wait_urls():
        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == (service["metadata"]["name"], service_port["port"])


@pytest.mark.parametrize("everything", [False, True], ids=["required", "optional-too"])
def test_every_variable_the_files_set_is_one_the_app_reads(
    tmp_path: Path, everything: bool
) -> None:
    for where, (env, argv) in app_containers(everything=everything).items():
        # (compose passes an empty value for an optional one left out of .env: unset)
        ours = {name for name, value in env.items() if name.startswith(ENV_PREFIX) and value}
        _, asked = settings_for(env, argv, tmp_path / where.replace(":", "-"))
        unread = ours - asked
        assert not unread, f"{where} sets {sorted(unread)}, which load_settings never reads"
        assert ENV_PREFIX + "DATABASE_URL" in asked  # the recording itself works


def test_the_settings_each_container_gets(tmp_path: Path) -> None:
    containers = app_containers()
    for where, (env, argv) in containers.items():
        settings, _ = settings_for(env, argv, tmp_path / where.replace(":", "-"))
        assert not settings.is_sqlite, where
        if cli(argv).command in ("serve", "worker"):
            # Jobs go through Redis: the embedded queue would be a file on the shared volume.
            assert settings.broker_url is not None, where
            assert settings.broker_url.startswith("redis://"), where
        assert env[ENV_PREFIX + "DATA_DIR"] == image_env()[ENV_PREFIX + "DATA_DIR"], where
    for where in ("compose:app", "k8s:microspacegen-web"):
        settings, _ = settings_for(*containers[where], tmp_path / "web")
        assert settings.workers == 0, f"{where}: jobs belong to the worker, not to serve"
    # compose's addresses are its own services
    variables = example_variables()
    app_env = compose_env("app", variables)
    db_url = urlsplit(app_env[ENV_PREFIX + "DATABASE_URL"])
    assert (db_url.hostname, db_url.port) == ("postgres", 5432)
    assert db_url.password == variables["POSTGRES_PASSWORD"]
    postgres_env = compose()["services"]["postgres"]["environment"]
    assert db_url.username == postgres_env["POSTGRES_USER"]
    assert db_url.path == "/" + postgres_env["POSTGRES_DB"]
    assert urlsplit(app_env[ENV_PREFIX + "BROKER_URL"]).hostname == "redis"
    # the optional settings, filled in, are valid and turn on what they are for
    for where, (env, argv) in app_containers(everything=True).items():
        settings, _ = settings_for(env, argv, tmp_path / "all")
        if where in ("compose:app", "k8s:microspacegen-web"):
            assert settings.oidc is not None, where
            assert settings.public_url is not None, where
        if where.startswith("k8s:"):
            assert settings.chain_url is not None, where
    assert settings_for(*containers["compose:app"], tmp_path / "app")[0].oidc is None


def test_one_owner_of_the_hardware(tmp_path: Path) -> None:
    def runs_controller(env: dict[str, str], argv: list[str]) -> bool:
        settings, _ = settings_for(env, argv, tmp_path / "c")
        command = cli(argv).command
        return command == "controller" or (command in (None, "serve") and settings.controller)

    owners = {w for w, (env, argv) in app_containers().items() if runs_controller(env, argv)}
    assert owners == {"compose:app", "k8s:microspacegen-controller"}
    controller = deployments()["microspacegen-controller"]["spec"]
    assert controller["replicas"] == 1
    assert controller["strategy"]["type"] == "Recreate", "an update never runs two controllers"


def test_commands_are_the_apps_own() -> None:
    assert cli(compose_argv("app")).command == "serve"
    assert cli(compose_argv("worker")).command == "worker"
    expected = {
        "microspacegen-web": "serve",
        "microspacegen-worker": "worker",
        "microspacegen-controller": "controller",
    }
    assert {d: cli(k8s_argv(d)).command for d in deployments()} == expected
    assert cli(compose_argv("worker")).processes == cli(k8s_argv("microspacegen-worker")).processes


def test_the_data_directory_is_the_volume() -> None:
    data_dir = image_env()[ENV_PREFIX + "DATA_DIR"]
    assert [json.loads(v.args) for v in final("VOLUME")] == [[data_dir]]
    # created in the image, owned by the app's user, so a new named volume starts writable
    setup = " ".join(i.args for i in final("RUN"))
    assert f"mkdir -p {data_dir}" in setup
    assert f"chown {image_uid()}:" in setup
    for service in ("app", "worker"):
        assert f"data:{data_dir}" in compose()["services"][service]["volumes"], service
    assert "data" in compose()["volumes"]
    assert k8s("ConfigMap")["microspacegen"]["data"][ENV_PREFIX + "DATA_DIR"] == data_dir
    (claim,) = k8s("PersistentVolumeClaim").values()
    # The web, worker and controller pods share it, possibly from different nodes.
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in deployments():
        volumes = {v["name"]: v for v in pod(name)["volumes"]}
        (mount,) = [
            m
            for m in main_container(name)["volumeMounts"]
            if "persistentVolumeClaim" in volumes[m["name"]]
        ]
        assert mount["mountPath"] == data_dir, name
        claimed = volumes[mount["name"]]["persistentVolumeClaim"]["claimName"]
        assert claimed == claim["metadata"]["name"], name


def test_every_image_is_the_one_the_dockerfile_builds() -> None:
    (version_label,) = re.findall(
        r'org\.opencontainers\.image\.version="([^"]+)"', DOCKERFILE.read_text()
    )
    assert version_label == __version__
    services = compose()["services"]
    assert services["app"]["build"] == "."
    assert services["app"]["image"] == services["worker"]["image"] == IMAGE
    assert "build" not in services["worker"], "one image, built once, run twice"
    for name, container in all_containers():
        assert container["image"] == IMAGE, (name, container["name"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"docker build -t {IMAGE} ." in readme


def test_base_image_is_a_pinned_slim_python_of_the_projects_version() -> None:
    bases = {ins.args.split()[0] for ins in INSTRUCTIONS if ins.keyword == "FROM"}
    assert len(bases) == 1, f"build and runtime stages on one base: {bases}"
    (base,) = bases
    pinned = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim-(\w+)", base)
    assert pinned, f"{base}: pin a patch release of a slim Debian image"
    assert (int(pinned[1]), int(pinned[2])) == sys.version_info[:2], "the Python the tests run on"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={pinned[1]}.{pinned[2]}"
    assert pinned[4] in DEBIAN


def _debian() -> dict[str, Any]:
    (base,) = {ins.args.split()[0] for ins in INSTRUCTIONS if ins.keyword == "FROM"}
    return DEBIAN[base.rsplit("-", 1)[1]]


def _runtime_requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [re.split(r"[\[=<>]", line)[0] for line in lines if line and not line.startswith("#")]


def test_the_wheels_fit_the_base_image() -> None:
    """Wheels need a C library at least as new as their manylinux tag; a requirement that
    had to be compiled here (no wheel on PyPI) needs a compiler in the build stage."""
    needed = (0, 0)
    compiled = []
    for name in _runtime_requirements():
        wheel = metadata.distribution(name).read_text("WHEEL") or ""
        tags = [line.split(": ", 1)[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
        platforms = [t.split("-")[2] for t in tags]
        if all(p == "any" for p in platforms):
            continue
        versions = []
        for platform in platforms:
            if m := re.match(r"manylinux_(\d+)_(\d+)_", platform):
                versions.append((int(m[1]), int(m[2])))
            elif m := re.match(r"manylinux(1|2010|2014)_", platform):
                versions.append({"1": (2, 5), "2010": (2, 12), "2014": (2, 17)}[m[1]])
            elif platform.startswith("linux_"):
                compiled.append(name)
        if versions:
            needed = max(needed, min(versions))
    assert needed <= _debian()["glibc"], f"a wheel needs glibc {needed}"
    build, *_ = stages()
    if compiled:
        assert len(stages()) >= 2, f"{compiled} need a build stage with a compiler"
        assert "build-essential" in apt_packages(build)
        assert "build-essential" not in apt_packages(FINAL), "no compiler in the runtime image"


def test_the_image_installs_the_runtime_requirements_only() -> None:
    text = DOCKERFILE.read_text()
    assert "COPY requirements.txt " in text
    assert "pip install -r /tmp/requirements.txt" in text
    assert "requirements-dev" not in text
    # The runtime stage gets the environment the build stage made, and runs it.
    assert any(i.args.startswith("--from=build /opt/venv") for i in final("COPY"))
    assert image_env()["PATH"].startswith("/opt/venv/bin:")


def _programs_the_code_runs() -> set[str]:
    """Programs named in ``shutil.which(...)`` (directly or through a helper taking the name)
    or as the first word of a subprocess call, anywhere in the app's packages."""
    programs: set[str] = set()
    sources = [ROOT / "app.py"] + [
        p for pkg in RUNTIME_PACKAGES for p in (ROOT / pkg).rglob("*.py")
    ]

    def literal(node: ast.AST) -> str | None:
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        )

    def called(node: ast.Call) -> str:
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")

    for path in sources:
        text = path.read_text(encoding="utf-8")
        if "which(" not in text and "subprocess" not in text:
            continue  # parsing only the files that can run a program keeps this test fast
        tree = ast.parse(text)
        helpers: dict[str, int] = {}  # function -> index of its parameter passed to which()
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and called(node) == "which" and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.Name) and arg.id in params:
                        helpers[fn.name] = params.index(arg.id)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = called(node)
            if name == "which" and (program := literal(node.args[0])):
                programs.add(program)
            elif name in helpers and len(node.args) > helpers[name]:
                if program := literal(node.args[helpers[name]]):
                    programs.add(program)
            elif name in {"run", "Popen", "call", "check_call", "check_output"}:
                first = node.args[0]
                is_argv = isinstance(first, ast.List | ast.Tuple) and bool(first.elts)
                if is_argv and (program := literal(first.elts[0])):  # type: ignore[attr-defined]
                    programs.add(Path(program).name)
    return programs


def test_the_programs_the_code_runs_are_in_the_image() -> None:
    programs = _programs_the_code_runs()
    needed = {PACKAGE_OF.get(p, p) for p in programs}
    installed = apt_packages(FINAL)
    assert needed <= installed, f"the code runs {sorted(programs)}; install {needed - installed}"
    assert installed <= needed, f"{installed - needed} installed but nothing runs them"
    if "postgresql-client" in installed:
        # pg_dump refuses a server newer than itself
        (postgres,) = [compose()["services"]["postgres"]["image"]]
        major = int(re.fullmatch(r"postgres:(\d+)\.\d+-\w+", postgres)[1])  # type: ignore[index]
        assert major <= _debian()["postgresql"], f"{postgres} is newer than the image's pg_dump"


def test_the_image_stops_its_processes_with_a_signal_they_handle() -> None:
    """The command is PID 1 in its container, and PID 1 gets only signals it handles: `serve`
    handles SIGINT (KeyboardInterrupt, then its children are stopped) but not SIGTERM."""
    assert [i.args for i in final("STOPSIGNAL")] == ["SIGINT"]
    services = compose()["services"]
    for service in ("app", "worker"):
        assert "stop_signal" not in services[service], service
    for name in deployments():
        assert "lifecycle" not in main_container(name), f"{name}: keep the image's STOPSIGNAL"


def test_the_image_runs_as_a_fixed_non_root_user() -> None:
    uid = image_uid()
    assert uid != 0
    setup = " ".join(i.args for i in final("RUN"))
    assert f"--uid {uid}" in setup
    for name in deployments():
        context = pod(name)["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["runAsUser"] == uid == context["fsGroup"], name
    for name, container in all_containers():
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
        assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])
        if context.get("readOnlyRootFilesystem"):
            # numba's kernel cache must then be on a writable mount
            cache = image_env()["NUMBA_CACHE_DIR"]
            mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
            if container["name"] not in ("wait-for-schema",):
                assert any(cache.startswith(m + "/") for m in mounts), (name, cache)


def test_every_container_has_requests_and_limits() -> None:
    for name, container in all_containers():
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= resources[bound].keys(), (name, container["name"], bound)


def test_no_service_link_variables_reach_the_app(tmp_path: Path) -> None:
    """Kubernetes would give every pod MICROSPACEGEN_PORT=tcp://IP:PORT for a Service named
    microspacegen, which the app would read as its port and refuse."""
    (service,) = k8s("Service").values()
    link = service["metadata"]["name"].upper().replace("-", "_") + "_PORT"
    ip_port = f"tcp://10.0.0.1:{service['spec']['ports'][0]['port']}"
    with pytest.raises(ConfigError, match="not a whole number"):
        load_settings({link: ip_port}, data_dir=tmp_path)
    for name in deployments():
        assert pod(name)["enableServiceLinks"] is False, name


def test_compose_starts_each_service_after_what_it_needs() -> None:
    services = compose()["services"]
    for name, spec in services.items():
        for needed, how in spec.get("depends_on", {}).items():
            assert how == {"condition": "service_healthy"}, (name, needed)
            if services[needed].get("image") == IMAGE:
                # the image's own HEALTHCHECK (/readyz) is what "healthy" means
                assert "healthcheck" not in services[needed], needed
            else:
                assert services[needed]["healthcheck"]["test"], needed
    assert services["worker"]["depends_on"].keys() >= {"app", "redis"}
    assert services["app"]["depends_on"].keys() == {"postgres", "redis"}
    # The worker serves no HTTP: the image's /readyz check would mark it unhealthy forever.
    assert services["worker"]["healthcheck"] == {"disable": True}
    for name in ("postgres", "redis"):
        image = services[name]["image"]
        assert re.fullmatch(r"[a-z]+:\d+\.\d+(\.\d+)?-\w+", image), f"{image}: pin a release"
        assert services[name]["volumes"], f"{name} keeps its data in a volume"


def test_no_secret_is_written_in_the_files() -> None:
    # compose: every secret-looking value comes from .env
    for name, spec in compose()["services"].items():
        for key, value in (spec.get("environment") or {}).items():
            # (the broker URL, redis://redis:6379/0, is an address without a password)
            if SECRET_NAME.search(key) and not key.endswith("BROKER_URL"):
                assert "${" in str(value), f"{name}: {key} is written in compose.yaml"
    # every variable compose asks for is documented in the example, which holds no secret
    asked = set(INTERPOLATION.findall(COMPOSE.read_text()))
    example = COMPOSE_ENV_EXAMPLE.read_text()
    for variable, _, _ in asked:
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
    for line in example.splitlines():
        if SECRET_NAME.search(line.split("=")[0]) and not line.startswith("#"):
            assert line.endswith("="), f"the example fills in a secret: {line}"
    # Kubernetes: secret-looking variables come from the Secret; the keystore is a mounted file
    for name, container in all_containers():
        for item in container.get("env", []):
            if "value" in item:
                assert not SECRET_NAME.search(item["name"]), (name, item["name"])
            else:
                assert item["valueFrom"]["secretKeyRef"]["name"] == "microspacegen"
    for value in secret_template().values():
        assert "REPLACE_ME" in value, "the Secret template holds placeholders only"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert SECRET_TEMPLATE.name not in kustomization["resources"]
    # and nothing key-like anywhere
    key_like = re.compile(
        r"-----BEGIN|0x[0-9a-fA-F]{64}|\b[0-9a-fA-F]{40,}\b|\b[A-Za-z0-9_\-]{40,}\b|"
        r"(?i:password|secret)\s*[:=]\s*['\"]?(?!\$\{|REPLACE_ME|$)[^\s'\"]{8,}"
    )
    files = [DOCKERFILE, DOCKERIGNORE, COMPOSE, COMPOSE_ENV_EXAMPLE, *K8S.glob("*.yaml")]
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not key_like.search(line), f"{path.name}:{number}: {line.strip()}"


def test_the_secret_template_has_every_key_the_pods_use() -> None:
    template = secret_template()
    for name, container in all_containers():
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in template, (name, ref["key"])
    for name in deployments():
        for volume in pod(name)["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["secretName"] == "microspacegen"
                for item in volume["secret"]["items"]:
                    assert item["key"] in template, (name, item["key"])
    # The keystore variable names the file the Secret volume puts there.
    keyfile = k8s_env("microspacegen-worker")[ENV_PREFIX + "CHAIN_KEYFILE"]
    worker = main_container("microspacegen-worker")
    secret_volumes = {
        v["name"]: v["secret"] for v in pod("microspacegen-worker")["volumes"] if "secret" in v
    }
    mounted = [
        f"{m['mountPath']}/{item['path']}"
        for m in worker["volumeMounts"]
        if m["name"] in secret_volumes
        for item in secret_volumes[m["name"]]["items"]
    ]
    assert keyfile in mounted


def test_kustomization_lists_the_manifests() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", SECRET_TEMPLATE.name}
    assert listed == on_disk
    kinds = {d["kind"] for d in k8s_documents()}
    assert kinds == {"Deployment", "Service", "PersistentVolumeClaim", "ConfigMap"}


# --- .dockerignore ----------------------------------------------------------------------------


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; a pattern matching a
    directory covers what is inside it; ``**/`` matches at any depth."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        candidates = [body, body.removeprefix("**/")] if body.startswith("**/") else [body]
        for candidate in candidates:
            anywhere = candidate != body
            if any(
                fnmatch(p, candidate) or (anywhere and fnmatch(p.rsplit("/", 1)[-1], candidate))
                for p in prefixes
            ):
                result = not negate
                break
    return result


def test_dockerignore_keeps_the_app_and_leaves_out_data_tests_and_keys() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = ["app.py", "requirements.txt", str(ARTIFACT.relative_to(ROOT))]
    for package in (*RUNTIME_PACKAGES, "assets"):
        needed += [
            str(p.relative_to(ROOT))
            for p in (ROOT / package).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    kept_out = [p for p in needed if _ignored(p, patterns)]
    assert not kept_out, f"the image would miss {kept_out[:5]}"
    for path in (
        ".git/config",
        "var/microspacegen.sqlite3",
        "var/secret_key",
        "node_modules/hardhat/package.json",
        "tests/conftest.py",
        "test-results/report.xml",
        ".env",
        "deploy/k8s/secret.yaml",
        "keystore.json",
        "lab/anchor-keystore.json",
        "tls/server.key",
        "tls/server.pem",
        "dashboard/__pycache__/app.cpython-311.pyc",
    ):
        assert _ignored(path, patterns), f"{path} would go into the image"


def test_manifests_are_valid_kubernetes_objects() -> None:
    """Every field is one the Kubernetes API knows (the strict schemas refuse unknown ones)."""
    import kubernetes_validate  # the API's own OpenAPI schemas, bundled (no cluster, no network)

    docs = [*k8s_documents(), *yaml.safe_load_all(SECRET_TEMPLATE.read_text(encoding="utf-8"))]
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_secret_templates_placeholder_key_is_refused_by_the_app(tmp_path: Path) -> None:
    placeholder = secret_template()["secret-key"]
    assert "REPLACE_ME" in placeholder
    with pytest.raises(ConfigError, match="SECRET_KEY is"):
        load_settings({"MICROSPACEGEN_SECRET_KEY": placeholder}, data_dir=tmp_path)
