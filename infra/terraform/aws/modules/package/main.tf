# The deployment package's instruction set: the one scripts/package.sh recorded beside the zip
# (<zip>.manifest.json), unless the caller names one; a name that differs from the record fails
# the plan, so a function is never deployed with a binary it cannot run. No provider needed.

variable "package_path" {
  description = "Path of the Lambda zip built by scripts/package.sh lambda."
  type        = string
}

variable "architecture" {
  description = "\"arm64\" or \"x86_64\"; null takes the package manifest's (else x86_64)."
  type        = string
  default     = null
}

locals {
  manifest_path = "${trimsuffix(var.package_path, ".zip")}.manifest.json"
  recorded      = fileexists(local.manifest_path) ? jsondecode(file(local.manifest_path)).architecture : null
  architecture  = coalesce(var.architecture, local.recorded, "x86_64")
}

output "architecture" {
  description = "The architecture to deploy the package with."
  value       = local.architecture

  precondition {
    condition     = contains(["arm64", "x86_64"], local.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\", not \"${local.architecture}\"."
  }

  precondition {
    condition     = local.recorded == null || local.recorded == local.architecture
    error_message = "architecture is ${local.architecture} but ${var.package_path} was built for ${coalesce(local.recorded, "?")} (${local.manifest_path}); leave architecture unset or rebuild with scripts/package.sh lambda --arch ${local.architecture}."
  }
}
