"""The running gateway, in front of the four real services (own OS processes, real Kafka and
FerretDB), checked by schemathesis against what it publishes: the REST paths against
/api/openapi.json with every check and the stateful phase (links from a created campaign's id),
and the GraphQL endpoint against its schema. Any failure schemathesis reports fails the test.

Every check is on (schemathesis 4's default; `--checks=all` on the command line would override
the per-operation settings of schemathesis.toml), and every phase runs (examples, coverage,
fuzzing, and over REST the stateful one). Bounded: a few examples per operation, a fixed seed,
no shrinking, a time budget; the REST and GraphQL runs go at once, as two processes.

One worker (thread) per run: with two, hypothesis' first description of a strategy for "any
JSON value" (what schemathesis draws for the properties an object does not name) calls
`ast.parse` in both threads at once, which CPython 3.11 may answer with `SystemError: AST
constructor recursion depth mismatch` (python/cpython#106905; schemathesis reported it as a
KeyError in hypothesis' lambda cache while generating the estimate's body). The parallelism
comes from the two processes instead.
"""

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reengage_common.auth import generate_signing_key, issue_token
from reengage_common.settings import Settings
from reengage_testing import ServiceProcess, running

pytestmark = pytest.mark.infra

KEY = generate_signing_key()
CLINIC = "clinic-contract"
SERVICES = {
    "campaign-svc": "campaign_svc",
    "audience-svc": "audience_svc",
    "dispatch-svc": "dispatch_svc",
    "tracking-svc": "tracking_svc",
}
# Cases per operation and phase, and the seconds each run may spend at most.
MAX_EXAMPLES = 5
MAX_SECONDS = 20
SEED = 20261129
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture(scope="module")
async def gateway_url(
    infra: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The gateway and the four services as their own processes, in topics and databases of
    this module's own."""
    logs = tmp_path_factory.mktemp("contract")
    own = uuid.uuid4().hex[:6]
    env = {
        "KAFKA_TOPIC_PREFIX": f"{infra.kafka_topic_prefix}contract-{own}.",
        "MONGO_DB_PREFIX": f"{infra.mongo_db_prefix}contract_{own}_",
        "JWT_PUBLIC_KEY": KEY.public_pem,
        "LOG_LEVEL": "WARNING",
    }
    services = {
        name: ServiceProcess(module, env, str(logs / f"{name}.log"))
        for name, module in SERVICES.items()
    }
    urls = {name.replace("-", "_").upper() + "_URL": p.url for name, p in services.items()}
    gateway = ServiceProcess("gateway", {**env, **urls}, str(logs / "gateway.log"))
    async with running([*services.values(), gateway]):
        yield gateway.url


def schemathesis(location: str, report: Path, *options: str) -> subprocess.CompletedProcess[str]:
    token = issue_token(KEY, user_id="u-contract", clinic_id=CLINIC, role="clinic_admin")
    command = [
        str(Path(sys.executable).with_name("st")),
        f"--config-file={CONFIG}",
        "run",
        location,
        f"--max-examples={MAX_EXAMPLES}",
        f"--max-time={MAX_SECONDS}",
        f"--seed={SEED}",
        "--no-shrink",
        "--generation-database=none",
        "--workers=1",
        "--no-color",
        "--report=junit",
        f"--report-junit-path={report}",
        f"--header=Authorization: Bearer {token}",
        *options,
    ]
    # Run where the report goes: schemathesis keeps a cache folder in its working directory.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=report.parent
    )


def summary(run: subprocess.CompletedProcess[str]) -> str:
    """The run's warnings and summary (cases generated), for the log of a passing test."""
    lines = run.stdout.splitlines()
    headings = ("WARNINGS", "SUMMARY")
    start = next((n for n, line in enumerate(lines) if line.strip("= ") in headings), len(lines))
    return "\n".join(lines[start:])


@pytest.fixture(scope="module")
async def runs(
    gateway_url: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Both runs at once (each its own process), so the module takes as long as the longer."""
    reports = tmp_path_factory.mktemp("schemathesis")
    rest, graphql = await asyncio.gather(
        asyncio.to_thread(
            schemathesis,
            f"{gateway_url}/api/openapi.json",
            reports / "rest.xml",
            "--phases=examples,coverage,fuzzing,stateful",
        ),
        asyncio.to_thread(
            schemathesis,
            f"{gateway_url}/graphql",
            reports / "graphql.xml",
            "--phases=examples,coverage,fuzzing",
        ),
    )
    return {"rest": rest, "graphql": graphql}


def test_the_rest_api_agrees_with_its_openapi_document(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = runs["rest"]
    assert run.returncode == 0, run.stdout + run.stderr
    print(summary(run))


def test_the_graphql_api_agrees_with_its_schema(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = runs["graphql"]
    assert run.returncode == 0, run.stdout + run.stderr
    print(summary(run))
