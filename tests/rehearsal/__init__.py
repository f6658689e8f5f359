"""Deployment rehearsal: the Glue job scripts run the way AWS Glue 5.0 and EMR Serverless run them."""
