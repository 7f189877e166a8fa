"""Settings read from the environment, shared by every service and the gateway."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"
DEVELOPMENT_LINK_SECRET = "dev-link-secret-change-me-0123456789abcdef"

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
    env: Literal["development", "test", "production"] = "development"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=3, ge=1)
    # A prefix on every topic and consumer group lets test runs share a broker with `./dev up`.
    kafka_topic_prefix: str = ""
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db_prefix: str = "reengage_"
    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    # Signs the unsubscribe and booking links in messages (reengage_common.messages.links).
    link_secret: str = DEVELOPMENT_LINK_SECRET
    # Where patients reach tracking-svc's public pages (/u/…, /b/…); an ingress in production.
    public_base_url: str = "http://127.0.0.1:8104"
    host: str = "127.0.0.1"
    port: int | None = None
    log_level: str = "INFO"
    campaign_svc_url: str = "http://127.0.0.1:8101"
    audience_svc_url: str = "http://127.0.0.1:8102"
    dispatch_svc_url: str = "http://127.0.0.1:8103"
    tracking_svc_url: str = "http://127.0.0.1:8104"

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "Settings":
        if self.env == "production" and self.jwt_secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError("JWT_SECRET: set a secret of your own; production refuses the dev one")
        if self.env == "production" and len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET: use at least 32 characters in production")
        if self.env == "production" and self.link_secret == DEVELOPMENT_LINK_SECRET:
            raise ValueError("LINK_SECRET: set your own secret; production refuses the dev one")
        if self.env == "production" and len(self.link_secret) < 32:
            raise ValueError("LINK_SECRET: use at least 32 characters in production")
        return self

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

    def group_id(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service}"


def load_settings(service: str, **overrides: object) -> Settings:
    return Settings(service=service, **overrides)
