variable "region" {
  description = "AWS region to deploy into. ECR events are regional: deploy one stack per region whose registries you want to watch."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Base name for every resource (Lambda function, role, table, rule, queue). Lowercase letters, digits and dashes."
  type        = string
  default     = "regrelay"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 characters of lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "architecture" {
  description = "Lambda instruction set, \"arm64\" or \"x86_64\". Default (null): the architecture scripts/package.sh recorded in the manifest beside package_path (<zip>.manifest.json), else x86_64, the package script's default. A value that differs from the manifest fails the plan."
  type        = string
  default     = null

  validation {
    condition     = var.architecture == null ? true : contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "package_path" {
  description = "Path of the deployment zip built by scripts/package.sh lambda (a single bootstrap executable plus regrelay.toml)."
  type        = string
  default     = "../../../dist/regrelay-lambda.zip"
}

variable "memory_size" {
  description = "Lambda memory in MiB (CPU scales with it). regrelay is a small native binary; 256 is plenty for fan-out."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Lambda timeout in seconds. Keep it under the sender's own timeout (EventBridge API destinations give up after 5 s, Alibaba EventBridge and Event Grid after about 30 s)."
  type        = number
  default     = 25
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions for the function; caps fan-out bursts towards chat targets. -1 leaves the function unreserved (needed on accounts whose total concurrency quota is only 10)."
  type        = number
  default     = -1
}

variable "log_retention_days" {
  description = "Retention in days of the function's CloudWatch log group."
  type        = number
  default     = 14
}

variable "log_level" {
  description = "Value of RUST_LOG for the function (tracing filter, e.g. \"info\" or \"regrelay=debug,info\")."
  type        = string
  default     = "info"
}

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key ARN used for the Lambda environment, the log group, the DynamoDB table and the dead-letter queue. null uses AWS-owned/AWS-managed keys. The key policy must allow the CloudWatch Logs service principal of this region when set."
  type        = string
  default     = null
}

variable "function_url_auth_type" {
  description = "Authorization of the Lambda function URL: \"NONE\" (regrelay checks REGRELAY_INBOUND_SECRET itself; required for senders that cannot sign requests, e.g. Alibaba EventBridge HTTP targets or Event Grid) or \"AWS_IAM\" (callers must SigV4-sign with lambda:InvokeFunctionUrl permission)."
  type        = string
  default     = "NONE"

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.function_url_auth_type)
    error_message = "function_url_auth_type must be \"NONE\" or \"AWS_IAM\"."
  }
}

variable "inbound_secret" {
  description = "Inbound shared secret(s) given directly. Senders send it as \"Authorization: Bearer <secret>\" or \"?access_token=<secret>\". A comma-separated list is accepted during rotation. Leave null and set inbound_secret_ssm_parameter or inbound_secret_secretsmanager_id instead to keep it out of tfvars files."
  type        = string
  default     = null
  sensitive   = true
}

variable "inbound_secret_ssm_parameter" {
  description = "Name of an SSM Parameter Store SecureString holding the inbound secret (read at plan time and written into the function environment, which is encrypted at rest)."
  type        = string
  default     = null
}

variable "inbound_secret_secretsmanager_id" {
  description = "Name or ARN of a Secrets Manager secret whose SecretString is the inbound secret (read at plan time and written into the function environment)."
  type        = string
  default     = null
}

variable "extra_environment" {
  description = "Additional environment variables for the function, typically the target secrets referenced from regrelay.toml as $${env:NAME} (DingTalk tokens, Slack/Teams webhook URLs)."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "ecr_detail_types" {
  description = "EventBridge detail-type values of source aws.ecr routed to the function."
  type        = list(string)
  default     = ["ECR Image Action", "ECR Image Scan"]
}

variable "ecr_repository_prefixes" {
  description = "Optional repository-name prefixes to restrict the EventBridge rule to (empty = every repository in the account and region)."
  type        = list(string)
  default     = []
}

variable "event_max_retry_attempts" {
  description = "How many times EventBridge retries delivering an event to the function before sending it to the dead-letter queue (0-185)."
  type        = number
  default     = 20
}

variable "event_max_age_seconds" {
  description = "Maximum age in seconds of an event that EventBridge still tries to deliver (60-86400)."
  type        = number
  default     = 86400
}

variable "sns_topic_arns" {
  description = "SNS topics (in this account) whose messages invoke the function directly; each message's SNS signature is verified before its event is processed. Empty = none."
  type        = list(string)
  default     = []
}

variable "dlq_retention_seconds" {
  description = "How long failed events stay in the dead-letter queue (60-1209600 seconds)."
  type        = number
  default     = 1209600
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags."
  type        = map(string)
  default = {
    app = "regrelay"
  }
}

variable "delivery_max_receives" {
  description = "Receives of a delivery queue message before SQS moves it to the deliveries DLQ (the config's queue.max_receives must match)."
  type        = number
  default     = 5
}

variable "delivery_max_concurrency" {
  description = "Most concurrent function instances the delivery queue's event source mapping invokes (2-1000), so a backlog cannot take every instance."
  type        = number
  default     = 10

  validation {
    condition     = var.delivery_max_concurrency >= 2 && var.delivery_max_concurrency <= 1000
    error_message = "delivery_max_concurrency must be between 2 and 1000."
  }
}
