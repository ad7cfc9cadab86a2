"""iac-exposure: find the EC2 exposures Security Hub would report, before deployment."""

__version__ = "0.1.0"
