"""Starts the Twilio and Lob stand-ins: .venv/bin/python deploy/local/fake_providers.py

Ports: TWILIO_FAKE_PORT (8030), LOB_FAKE_PORT (8031). Credentials they accept:
TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, LOB_API_KEY. See provider_fakes/ for the endpoints.
"""

from provider_fakes.server import main

if __name__ == "__main__":
    main()
