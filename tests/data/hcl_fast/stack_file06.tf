# generated stack file 00176
variable "instance_type_00176" {
  type        = string
  default     = "t3.micro"
  description = "Instance type for 00176"
}

locals {
  name_00176 = "app-${var.env}-00176"
  tags_00176 = {
    Owner       = "team-26"
    Environment = var.env
    CostCenter  = "3318"
  }
  extra_ports_00176 = [9054, 9116]
}

resource "aws_security_group" "sg_00176" {
  name        = "${local.name_00176}-sg"
  description = "security group for 00176"
  vpc_id      = module.net_00176.vpc_id

  ingress {
    description = "port 22"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.215.0.0/16"]
  }

  ingress {
    description = "port 3389"
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["10.215.0.0/16"]
  }

  ingress {
    description = "port 443"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "port 80"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "port 8080"
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = ["10.215.0.0/16"]
  }

  dynamic "ingress" {
    for_each = local.extra_ports_00176
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["10.215.0.0/16"]
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = local.tags_00176
}

resource "aws_security_group_rule" "extra_00176" {
  type              = "ingress"
  from_port         = 22
  to_port           = 3389
  protocol          = "tcp"
  cidr_blocks       = ["10.215.0.0/16"]
  security_group_id = aws_security_group.sg_00176.id
}

resource "aws_iam_role" "role_00176" {
  name               = "${local.name_00176}-role"
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
  tags = local.tags_00176
}

resource "aws_iam_role_policy_attachment" "attach_00176" {
  role       = aws_iam_role.role_00176.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_instance_profile" "profile_00176" {
  name = "${local.name_00176}-profile"
  role = aws_iam_role.role_00176.name
}

resource "aws_instance" "web_00176" {
  ami                         = "ami-6e17b154"
  instance_type               = var.instance_type_00176
  subnet_id                   = module.net_00176.subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.sg_00176.id]
  iam_instance_profile        = aws_iam_instance_profile.profile_00176.name
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
    volume_size = 50
  }

  user_data = <<-EOT
    #!/bin/bash
    echo "hello from 00176" > /tmp/hello
  EOT

  tags = merge(local.tags_00176, { Name = "web-00176" })
}

resource "aws_launch_template" "lt_00176" {
  name_prefix   = "lt-00176-"
  image_id      = "ami-186ac03f"
  instance_type = var.instance_type_00176

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "optional"
  }

  iam_instance_profile {
    arn = aws_iam_instance_profile.profile_00176.arn
  }

  network_interfaces {
    associate_public_ip_address = false
    security_groups             = [aws_security_group.sg_00176.id]
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.tags_00176
  }
}

module "net_00176" {
  source     = "../modules/net"
  cidr_block = "10.138.0.0/16"
  azs        = ["us-east-1a", "us-east-1b"]
  name       = local.name_00176
}

output "instance_ip_00176" {
  value = aws_instance.web_00176[*].public_ip
}
