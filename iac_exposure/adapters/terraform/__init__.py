"""Terraform HCL → model."""
