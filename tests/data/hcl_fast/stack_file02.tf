# generated stack file 00132
variable "instance_type_00132" {
  type        = string
  default     = "t3.micro"
  description = "Instance type for 00132"
}

locals {
  name_00132 = "app-${var.env}-00132"
  tags_00132 = {
    Owner       = "team-25"
    Environment = var.env
    CostCenter  = "1534"
  }
  extra_ports_00132 = [9034, 9178]
}

resource "aws_security_group" "sg_00132" {
  name        = "${local.name_00132}-sg"
  description = "security group for 00132"
  vpc_id      = module.net_00132.vpc_id

  ingress {
    description = "port 22"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.191.0.0/16"]
  }

  ingress {
    description = "port 3389"
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["10.191.0.0/16"]
  }

  ingress {
    description = "port 443"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  dynamic "ingress" {
    for_each = local.extra_ports_00132
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["10.191.0.0/16"]
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = local.tags_00132
}

resource "aws_security_group_rule" "extra_00132" {
  type              = "ingress"
  from_port         = 8443
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.sg_00132.id
}

resource "aws_iam_role" "role_00132" {
  name               = "${local.name_00132}-role"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "Service": "ec2.amazonaws.com" },
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF
  tags = local.tags_00132
}

resource "aws_iam_role_policy_attachment" "attach_00132" {
  role       = aws_iam_role.role_00132.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_instance_profile" "profile_00132" {
  name = "${local.name_00132}-profile"
  role = aws_iam_role.role_00132.name
}

resource "aws_instance" "web_00132" {
  ami                         = "ami-d67645dc"
  instance_type               = var.instance_type_00132
  subnet_id                   = module.net_00132.subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.sg_00132.id]
  iam_instance_profile        = aws_iam_instance_profile.profile_00132.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true
  count                       = var.enabled ? 1 : 0

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    volume_size = 20
  }

  user_data = <<-EOT
    #!/bin/bash
    echo "hello from 00132" > /tmp/hello
  EOT

  tags = merge(local.tags_00132, { Name = "web-00132" })
}

resource "aws_launch_template" "lt_00132" {
  name_prefix   = "lt-00132-"
  image_id      = "ami-53ba99d8"
  instance_type = var.instance_type_00132

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  iam_instance_profile {
    arn = aws_iam_instance_profile.profile_00132.arn
  }

  network_interfaces {
    associate_public_ip_address = false
    security_groups             = [aws_security_group.sg_00132.id]
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.tags_00132
  }
}

module "net_00132" {
  source     = "../modules/net"
  cidr_block = "10.125.0.0/16"
  azs        = ["us-east-1a", "us-east-1b"]
  name       = local.name_00132
}

output "instance_ip_00132" {
  value = aws_instance.web_00132[*].public_ip
}
