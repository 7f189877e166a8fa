"""Settings read from the environment, shared by every service and the gateway.

Production is the default: with no `ENV`, a process runs as production and refuses to start
while any setting it uses still has a development value (`production_problems`, all of them
named at once). Only the local tooling (`./dev`, deploy/local/defaults.sh, the development
compose overlay, the test suite) sets `ENV=development` or `ENV=test`.
"""

import ipaddress
import sys
from typing import Annotated, Literal, NoReturn, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reengage_common.jwt_keys import load_public_key

DEVELOPMENT_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"
DEVELOPMENT_JWT_ISSUER = "reengage-dev"
DEVELOPMENT_JWT_AUDIENCE = "reengage"
DEVELOPMENT_LINK_SECRET = "dev-link-secret-change-me-0123456789abcdef"
# The Twilio auth token of the local stand-in (deploy/local); public, so never a real one.
DEVELOPMENT_TWILIO_AUTH_TOKEN = "dev-twilio-token"
# Secrets that sign or authenticate must be long enough not to be guessed.
MIN_SECRET_BYTES = 32
PRODUCTION_REFUSED = "production refuses to start"
# Partitions per topic when KAFKA_PARTITIONS is unset (see Settings.kafka_partitions).
PRODUCTION_PARTITIONS = 24
DEVELOPMENT_PARTITIONS = 3

SERVICE_PORTS = {
    "gateway": 8000,
    "campaign-svc": 8101,
    "audience-svc": 8102,
    "dispatch-svc": 8103,
    "tracking-svc": 8104,
}


class Settings(BaseSettings):
    """One instance per process; `service` names the part it configures."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service: str = "common"
    # No ENV is production: a deployment that forgets it fails closed, not open.
    env: Literal["development", "test", "production"] = "production"
    # Kafka brokers, comma-separated.
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Partitions of each topic this process creates (and of its .dlq); a consumer group spreads
    # over at most this many replicas. Unset: 24 in production (divides evenly over 1, 2, 3, 4,
    # 6, 8, 12 or 24 replicas; a topic's partitions can grow later only by moving keys), 3 in
    # development and tests (one local broker). KAFKA_TOPIC_PARTITIONS overrides single topics
    # as JSON {"message.due": 48}. Existing topics are never changed.
    kafka_partitions: int = Field(default=PRODUCTION_PARTITIONS, ge=1)
    kafka_topic_partitions: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    # Copies of each partition: 1 suits one local broker; a cluster sets 3.
    kafka_replication_factor: int = Field(default=1, ge=1)
    # How long a producer gathers records into one batch.
    kafka_linger_ms: int = Field(default=5, ge=0)
    # Most records a consumer takes in one poll; a batch handler stores each partition's share
    # with one bulk write.
    consumer_batch_size: int = Field(default=1000, ge=1)
    # A consumer's fetch returns once this many bytes wait, or after this long: under a stream
    # of events, fewer and larger fetches (and offset commits). Answered at once (1 byte), the
    # broker spent most of its CPU on fetches and commits of a few records each (bench_pipeline,
    # docs/perf.md).
    kafka_fetch_min_bytes: int = Field(default=256 * 1024, ge=1)
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=0)
    # A background loop's owner renews its lease every third of this; a dead owner's loop is
    # taken over by another replica within it.
    lease_ttl_seconds: float = Field(default=10.0, gt=0)
    # How often a relay looks for pending outbox records (a local write nudges it at once).
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    # A prefix on every topic and consumer group lets test runs share a broker with `./dev up`.
    kafka_topic_prefix: str = ""
    # MongoDB or FerretDB.
    mongo_url: str = "mongodb://127.0.0.1:27017"
    # Databases are <prefix>campaign, <prefix>audience, <prefix>dispatch, <prefix>tracking.
    mongo_db_prefix: str = "reengage_"
    # Tokens are RS256/ES256, checked with JWT_PUBLIC_KEY (PEM) or keys from JWT_JWKS_URL; in
    # development, with neither set, with the dev key pair `./dev token` signs with. An HS256
    # JWT_SECRET is accepted in development only: whoever holds it could mint any token.
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str = DEVELOPMENT_JWT_ISSUER
    jwt_audience: str = DEVELOPMENT_JWT_AUDIENCE
    jwt_secret: str | None = None
    # The address the process listens on.
    host: str = "127.0.0.1"
    # Unset: gateway 8000, campaign-svc 8101, audience-svc 8102, dispatch-svc 8103,
    # tracking-svc 8104 (`./dev up`'s workers: 8202-8204).
    port: int | None = None
    # What this process of a service does (reengage_common.service): `all` of it, only its
    # internal `api`, or only its `worker` part (consumers and background loops). Split, a
    # consumer's backlog never holds an HTTP answer behind it on one event loop.
    service_role: Literal["all", "api", "worker"] = "all"
    log_level: str = "INFO"
    # Where the gateway finds the services.
    campaign_svc_url: str = "http://127.0.0.1:8101"
    audience_svc_url: str = "http://127.0.0.1:8102"
    dispatch_svc_url: str = "http://127.0.0.1:8103"
    tracking_svc_url: str = "http://127.0.0.1:8104"
    # The gateway's deadline (seconds) for a service's whole answer; past it the answer is 503 /
    # NotAvailable. Reads are what a page waits for; commands (saves, transitions, previews,
    # estimates) compute more; a launch also checks the clinic's live campaigns and may wait
    # for another launch's guard; an import streams a whole file; a readiness probe is only
    # "does it answer at all".
    gateway_read_deadline_seconds: float = Field(default=5.0, gt=0)
    gateway_command_deadline_seconds: float = Field(default=15.0, gt=0)
    gateway_launch_deadline_seconds: float = Field(default=30.0, gt=0)
    gateway_import_deadline_seconds: float = Field(default=600.0, gt=0)
    gateway_probe_deadline_seconds: float = Field(default=1.0, gt=0)
    # Most bytes of a request body (GraphQL, REST, a service's internal API), checked before
    # the body is parsed or the caller authenticated: 413 beyond. A patient import streams a
    # whole file and has its own, larger limit.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_import_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)

    @model_validator(mode="before")
    @classmethod
    def _partitions_by_environment(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("kafka_partitions") in (None, ""):
            production = data.get("env", "production") == "production"
            default = PRODUCTION_PARTITIONS if production else DEVELOPMENT_PARTITIONS
            data = {**data, "kafka_partitions": default}
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> "Settings":
        if self.jwt_public_key:
            try:
                load_public_key(self.jwt_public_key)
            except ValueError as exc:
                raise ValueError(f"JWT_PUBLIC_KEY: {exc}") from exc
        if self.env == "production":
            problems = self.production_problems()
            if problems:
                # One message naming every setting, so a deployment is fixed in one round.
                raise ValueError(f"{PRODUCTION_REFUSED}:\n  - " + "\n  - ".join(problems))
        return self

    @property
    def development_mode(self) -> bool:
        return self.env != "production"

    def production_problems(self) -> list[str]:
        """Each setting this process uses that still is unsafe for production, with why.

        A service whose settings add secrets (dispatch, tracking) extends this list.
        """
        return self._token_key_problems()

    def _token_key_problems(self) -> list[str]:
        problems = []
        if self.jwt_secret:
            problems.append(
                "JWT_SECRET: production refuses HS256 shared secrets; "
                "set JWT_PUBLIC_KEY or JWT_JWKS_URL (RS256/ES256)"
            )
        if not (self.jwt_public_key or self.jwt_jwks_url):
            problems.append("JWT_PUBLIC_KEY: production needs JWT_PUBLIC_KEY or JWT_JWKS_URL")
        if self.jwt_jwks_url and not self.jwt_jwks_url.startswith("https://"):
            problems.append("JWT_JWKS_URL: production fetches signing keys over https only")
        if self.jwt_issuer == DEVELOPMENT_JWT_ISSUER:
            problems.append("JWT_ISSUER: set the issuer of the platform's tokens")
        return problems

    @property
    def database_name(self) -> str:
        """One database per service: reengage_campaign, reengage_audience, ..."""
        short = self.service.removesuffix("-svc")
        return f"{self.mongo_db_prefix}{short}"

    @property
    def listen_port(self) -> int:
        return self.port or SERVICE_PORTS.get(self.service, 8000)

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def partitions_of(self, name: str) -> int:
        """Partitions of the contract topic `name` (unprefixed; its .dlq has as many)."""
        return self.kafka_topic_partitions.get(name, self.kafka_partitions)

    def group_id(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service}"


class PatientLinkSettings(Settings):
    """What the two services patients and providers reach share: dispatch makes patients'
    links and calls Twilio; tracking checks those links and Twilio's webhook signatures."""

    # Signs the unsubscribe and booking links in messages (reengage_common.messages.links).
    link_secret: str = DEVELOPMENT_LINK_SECRET
    # Where patients reach tracking-svc's public pages (/u/…, /b/…); an ingress in production.
    public_base_url: str = "http://127.0.0.1:8104"
    # dispatch authenticates to Twilio with it; Twilio signs its webhooks to tracking with it
    # (X-Twilio-Signature).
    twilio_auth_token: str = DEVELOPMENT_TWILIO_AUTH_TOKEN

    def production_problems(self) -> list[str]:
        # With the development link secret or Twilio token anyone could forge links, STOPs,
        # bounces and replies; the links lead patients to PUBLIC_BASE_URL.
        problems = super().production_problems()
        problems += secret_problems("LINK_SECRET", self.link_secret, DEVELOPMENT_LINK_SECRET)
        problem = public_https_problem("PUBLIC_BASE_URL", self.public_base_url)
        problems += [problem] if problem else []
        return problems + secret_problems(
            "TWILIO_AUTH_TOKEN", self.twilio_auth_token, DEVELOPMENT_TWILIO_AUTH_TOKEN
        )


def secret_problems(name: str, value: str | None, *development: str) -> list[str]:
    """A production secret must be set, its own (not a development value) and long enough."""
    if not value:
        return [f"{name}: not set; production needs a secret of its own"]
    if value in development:
        return [f"{name}: the development value is public; set a secret of your own"]
    if len(value.encode()) < MIN_SECRET_BYTES:
        return [f"{name}: use at least {MIN_SECRET_BYTES} bytes"]
    return []


def public_https_problem(name: str, url: str) -> str | None:
    """Patients and providers reach this address: https, and not this machine's loopback."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return f"{name}: production needs an https URL, not {url!r}"
    if _is_loopback(parts.hostname):
        return f"{name}: {url!r} is a loopback address nobody outside this machine reaches"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, not an address


def load_settings(service: str, **overrides: object) -> Settings:
    return Settings(service=service, **overrides)


AnySettings = TypeVar("AnySettings", bound=Settings)


def completed(settings_class: type[AnySettings], settings: Settings | None) -> AnySettings:
    """A service's own settings: `settings` as given when it already is one, else the shared
    settings a caller built (a test stack's) completed with the service's own from the
    environment; none at all reads everything from the environment."""
    if isinstance(settings, settings_class):
        return settings
    return settings_class(**(settings.model_dump() if settings else {}))


def settings_or_exit(settings_class: type[AnySettings], **overrides: object) -> AnySettings:
    """A process's settings, or exit with a message naming every setting that is wrong.

    For `python -m <part>`: an operator reads the reasons, not a pydantic traceback.
    """
    try:
        return settings_class(**overrides)
    except ValidationError as exc:
        _exit_with(exc)


def _exit_with(error: ValidationError) -> NoReturn:
    reasons = [str(item["msg"]).removeprefix("Value error, ") for item in error.errors()]
    sys.stderr.write(f"{error.title}: cannot start\n")
    for reason in reasons:
        sys.stderr.write(f"{reason}\n")
    sys.stderr.flush()
    raise SystemExit(2)
