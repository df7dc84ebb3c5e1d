"""M-Pesa through Safaricom's Daraja API (issue 15): C2B paybill callbacks, STK push ("Lipa na M-Pesa") from the
portal, B2C loan disbursement. Money posts only through the services below (contributions, loans, finance)."""
