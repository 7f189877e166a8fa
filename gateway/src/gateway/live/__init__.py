"""What subscriptions push as it happens, from Kafka: a campaign's figures (`stats`) and patients'
replies (`inbox`). Each is one process-wide hub over one read-only consumer (`tail`); nothing here
touches a database or commits an offset."""
