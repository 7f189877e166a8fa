"""Protocol-faithful local stand-ins for Twilio (SMS) and Lob (letters)."""
