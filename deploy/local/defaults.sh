# shellcheck shell=bash
# Local defaults shared by ./dev and deploy/local/infra.sh (sourced, not run).
# Each variable keeps the caller's value and is set only where unset, so
# `SMTP_HOST=smtp.example.com ./dev up` reaches the services unchanged.

# ports of the local servers (infra.sh listens on them)
: "${KAFKA_PORT:=9092}"
: "${MONGO_PORT:=27017}"
: "${MAILPIT_SMTP_PORT:=1025}"
: "${MAILPIT_HTTP_PORT:=8025}"
: "${TWILIO_FAKE_PORT:=8030}"
: "${LOB_FAKE_PORT:=8031}"
export KAFKA_PORT MONGO_PORT MAILPIT_SMTP_PORT MAILPIT_HTTP_PORT TWILIO_FAKE_PORT LOB_FAKE_PORT

# Local tooling runs in development mode: the public development keys and secrets below are
# accepted, and every part says so in its first log line and /readyz. Unset, ENV means
# production, which refuses them all.
: "${ENV:=development}"
export ENV

# what the services and the test suite connect to
: "${KAFKA_BOOTSTRAP_SERVERS:=127.0.0.1:$KAFKA_PORT}"
: "${MONGO_URL:=mongodb://127.0.0.1:$MONGO_PORT}"
: "${SMTP_HOST:=127.0.0.1}"
: "${SMTP_PORT:=$MAILPIT_SMTP_PORT}"
: "${MAILPIT_API_BASE:=http://127.0.0.1:$MAILPIT_HTTP_PORT}"
: "${TWILIO_API_BASE:=http://127.0.0.1:$TWILIO_FAKE_PORT}"
# a well-formed Account SID ("AC" + 32 hex digits), so validators of the real format accept it
: "${TWILIO_ACCOUNT_SID:=AC00000000000000000000000000000000}"
: "${TWILIO_AUTH_TOKEN:=dev-twilio-token}"
: "${TWILIO_FROM_NUMBER:=+15005550006}"
: "${LOB_API_BASE:=http://127.0.0.1:$LOB_FAKE_PORT}"
: "${LOB_API_KEY:=test_dev_lob_key}"
: "${PUBLIC_BASE_URL:=http://127.0.0.1:8105}" # tracking-svc's public port (PUBLIC_PORT)
export KAFKA_BOOTSTRAP_SERVERS MONGO_URL SMTP_HOST SMTP_PORT MAILPIT_API_BASE \
    TWILIO_API_BASE TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_FROM_NUMBER \
    LOB_API_BASE LOB_API_KEY PUBLIC_BASE_URL
