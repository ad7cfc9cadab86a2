variable "env" {
  type    = string
  default = "dev"
}

variable "enabled" {
  type    = bool
  default = true
}

provider "aws" {
  region = "us-east-1"
}
