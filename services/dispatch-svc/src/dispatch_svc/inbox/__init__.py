"""The front desk's inbox: patients' SMS to the clinic's number, and staff replies."""
