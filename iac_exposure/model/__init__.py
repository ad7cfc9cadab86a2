"""The common, format-free model of the AWS objects that decide EC2 exposure."""
