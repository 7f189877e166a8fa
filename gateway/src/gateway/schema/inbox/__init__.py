"""The front desk's inbox: patients' SMS replies and staff answers."""
