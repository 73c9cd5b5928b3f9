"""The AWS Lambda that ingests mail SES stored in S3; see handler.py."""
