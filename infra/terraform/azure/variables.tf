variable "location" {
  description = "Azure region of the resource group, Function App, storage and Key Vault. The Event Grid system topic always follows the registry's region."
  type        = string
  default     = "westeurope"
}

variable "resource_group_name" {
  description = "Resource group created for regrelay."
  type        = string
  default     = "regrelay-rg"
}

variable "name_prefix" {
  description = "Short prefix for resource names (3-11 lowercase letters/digits); a stable hash suffix keeps global names unique."
  type        = string
  default     = "regrelay"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,10}$", var.name_prefix))
    error_message = "name_prefix must be 3-11 lowercase letters/digits, starting with a letter."
  }
}

variable "registry_name" {
  description = "Name of the existing Azure Container Registry whose events are relayed."
  type        = string
}

variable "registry_resource_group_name" {
  description = "Resource group of the existing registry; the system topic and its subscriptions are created there."
  type        = string
}

variable "plan_sku" {
  description = "Function App plan SKU: Y1 (Linux Consumption) or EP1/EP2/EP3 (Elastic Premium)."
  type        = string
  default     = "Y1"

  validation {
    condition     = contains(["Y1", "EP1", "EP2", "EP3"], var.plan_sku)
    error_message = "plan_sku must be one of Y1, EP1, EP2, EP3."
  }
}

variable "storage_replication_type" {
  description = "Replication of the storage account (LRS, ZRS, GRS, RAGRS, GZRS, RAGZRS)."
  type        = string
  default     = "GRS"
}

variable "inbound_secret" {
  description = "Shared secret senders must present (Authorization: Bearer <secret> or ?access_token=<secret>); Event Grid subscriptions carry it in the endpoint query string."
  type        = string
  sensitive   = true
}

variable "additional_inbound_secrets" {
  description = "Further accepted inbound secrets, comma-separated, never put into subscription URLs (REGRELAY_INBOUND_SECRET becomes \"inbound_secret,additional\"). Used during rotation; empty otherwise."
  type        = string
  default     = ""
  sensitive   = true
}

variable "extra_secrets" {
  description = "Target secrets as APP_SETTING_NAME => value, referenced from regrelay.toml as $${env:APP_SETTING_NAME}. Stored in Key Vault and exposed to the app as Key Vault references."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "secret_rotation_years" {
  description = "Key Vault secrets get an expiry this many years after creation (renewed by terraform apply once the period has passed)."
  type        = number
  default     = 1
}

variable "config_path" {
  description = "REGRELAY_CONFIG: path of the TOML config relative to the app root (the package ships regrelay.toml)."
  type        = string
  default     = "regrelay.toml"
}

variable "ledger_table_name" {
  description = "REGRELAY_TABLE: Table Storage table of the delivery ledger, in the AzureWebJobsStorage account."
  type        = string
  default     = "regrelay"
}

variable "log_level" {
  description = "RUST_LOG filter for the handler."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights (30-730)."
  type        = number
  default     = 30
}

variable "deploy_subscriptions" {
  description = "Create the Event Grid subscriptions. Keep false on the first apply, publish dist/regrelay-azure.zip, then set true: Event Grid validates the endpoint when a subscription is created."
  type        = bool
  default     = false
}

variable "destination_kind" {
  description = "\"webhook\": POST to /api/events?access_token=<secret> (regrelay answers the validation and CloudEvents OPTIONS handshakes). \"azure_function\": deliver to the eventGridTrigger function \"eventgrid\" (the Functions host handles validation)."
  type        = string
  default     = "webhook"

  validation {
    condition     = contains(["webhook", "azure_function"], var.destination_kind)
    error_message = "destination_kind must be \"webhook\" or \"azure_function\"."
  }
}

variable "delivery_schema" {
  description = "Event delivery schema of the subscriptions: EventGridSchema or CloudEventSchemaV1_0."
  type        = string
  default     = "EventGridSchema"

  validation {
    condition     = contains(["EventGridSchema", "CloudEventSchemaV1_0"], var.delivery_schema)
    error_message = "delivery_schema must be EventGridSchema or CloudEventSchemaV1_0."
  }
}

variable "included_event_types" {
  description = "Event types delivered to regrelay."
  type        = list(string)
  default = [
    "Microsoft.ContainerRegistry.ImagePushed",
    "Microsoft.ContainerRegistry.ImageDeleted",
  ]
}

variable "enable_connected_registry_subscription" {
  description = "Also create a subscription for connected-registry events (advanced filter data.connectedregistry IsNotNull); the plain subscription then excludes them."
  type        = bool
  default     = false
}

variable "connected_registry_names" {
  description = "Restrict the connected-registry subscription to these names (advanced filter data.connectedregistry.name StringIn). Empty = every connected registry."
  type        = list(string)
  default     = []
}

variable "max_delivery_attempts" {
  description = "Event Grid retry policy: maximum delivery attempts per event (1-30)."
  type        = number
  default     = 30
}

variable "event_time_to_live" {
  description = "Event Grid retry policy: event time to live in minutes (1-1440)."
  type        = number
  default     = 1440
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default = {
    app = "regrelay"
  }
}

variable "delivery_queue_name" {
  description = "Storage queue of queued deliveries (REGRELAY_QUEUE); its poison queue is <name>-poison."
  type        = string
  default     = "regrelay-deliveries"
}
