data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# ---------------------------------------------------------------------------
# Inbound secret: given directly, or read from SSM Parameter Store / Secrets
# Manager. regrelay reads it from the REGRELAY_INBOUND_SECRET environment
# variable (comma-separated list accepted while rotating).
# ---------------------------------------------------------------------------
data "aws_ssm_parameter" "inbound_secret" {
  count           = var.inbound_secret_ssm_parameter == null ? 0 : 1
  name            = var.inbound_secret_ssm_parameter
  with_decryption = true
}

data "aws_secretsmanager_secret_version" "inbound_secret" {
  count     = var.inbound_secret_secretsmanager_id == null ? 0 : 1
  secret_id = var.inbound_secret_secretsmanager_id
}

locals {
  inbound_secret = coalesce(
    var.inbound_secret,
    try(data.aws_ssm_parameter.inbound_secret[0].value, null),
    try(data.aws_secretsmanager_secret_version.inbound_secret[0].secret_string, null),
  )

  log_group_name = "/aws/lambda/${var.name}"

  ecr_pattern_base = {
    source        = ["aws.ecr"]
    "detail-type" = var.ecr_detail_types
  }
  ecr_pattern_repos = {
    for k, v in {
      detail = {
        "repository-name" = [for p in var.ecr_repository_prefixes : { prefix = p }]
      }
    } : k => v if length(var.ecr_repository_prefixes) > 0
  }
}

# ---------------------------------------------------------------------------
# Delivery ledger (idempotency by event id, delivery status per target).
# ---------------------------------------------------------------------------
resource "aws_dynamodb_table" "ledger" {
  name         = "${var.name}-ledger"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = true
}

# ---------------------------------------------------------------------------
# Dead-letter queue shared by the EventBridge target (events it could not
# hand to Lambda) and the function's asynchronous invocations (events whose
# processing failed after Lambda's own retries).
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "dlq" {
  name                              = "${var.name}-dlq"
  message_retention_seconds         = var.dlq_retention_seconds
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "AllowEventBridgeRule"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ecr.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}

# ---------------------------------------------------------------------------
# Delivery queue (queued mode): the function writes one message per (event,
# target) pair and answers the sender; the event source mapping below hands
# the messages back to the function, which reports only failed ones
# (ReportBatchItemFailures). After max_receive_count receives a message moves
# to the delivery DLQ and its pair is dead-lettered in history.
# ---------------------------------------------------------------------------
resource "aws_sqs_queue" "deliveries_dlq" {
  name                              = "${var.name}-deliveries-dlq"
  message_retention_seconds         = var.dlq_retention_seconds
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
}

resource "aws_sqs_queue" "deliveries" {
  name = "${var.name}-deliveries"
  # Longer than the function timeout, as Lambda requires for an event source.
  visibility_timeout_seconds        = var.timeout * 6
  message_retention_seconds         = 345600
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.deliveries_dlq.arn
    maxReceiveCount     = var.delivery_max_receives
  })
}

resource "aws_lambda_event_source_mapping" "deliveries" {
  event_source_arn                   = aws_sqs_queue.deliveries.arn
  function_name                      = aws_lambda_function.fn.arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 1
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.delivery_max_concurrency
  }
}

# ---------------------------------------------------------------------------
# Logs
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "fn" {
  #checkov:skip=CKV_AWS_338:Retention is a variable (default 14 days as agreed for this relay); the log only holds delivery diagnostics, the durable record is the DynamoDB ledger.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---------------------------------------------------------------------------
# IAM: logs to its own group, its own ledger table, its own DLQ, nothing else.
# ---------------------------------------------------------------------------
data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "fn" {
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "fn" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.fn.arn}:*"]
  }

  statement {
    sid    = "LedgerTable"
    effect = "Allow"
    actions = [
      "dynamodb:ConditionCheckItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.ledger.arn]
  }

  statement {
    sid       = "DeadLetter"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "EnqueueDeliveries"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.deliveries.arn]
  }

  statement {
    sid    = "ConsumeDeliveries"
    effect = "Allow"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = [aws_sqs_queue.deliveries.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "CustomerManagedKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "fn" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.fn.json
}

# ---------------------------------------------------------------------------
# Function
# ---------------------------------------------------------------------------
# The architecture recorded with the package (a mismatch with var.architecture fails the plan).
module "package" {
  source       = "./modules/package"
  package_path = var.package_path
  architecture = var.architecture
}

resource "aws_lambda_function" "fn" {
  #checkov:skip=CKV_AWS_117:regrelay only calls public HTTPS webhooks (DingTalk, Teams, Slack) and DynamoDB; a VPC would add a NAT gateway for no isolation benefit.
  #checkov:skip=CKV_AWS_272:The zip is built by scripts/package.sh in CI and uploaded directly; there is no AWS Signer profile in this stack (add code_signing_config_arn when one exists).
  function_name                  = var.name
  description                    = "regrelay: container-registry event relay"
  role                           = aws_iam_role.fn.arn
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [module.package.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(var.extra_environment, {
      REGRELAY_CONFIG         = "/var/task/regrelay.toml"
      REGRELAY_INBOUND_SECRET = local.inbound_secret
      REGRELAY_DYNAMODB_TABLE = aws_dynamodb_table.ledger.name
      REGRELAY_QUEUE_URL      = aws_sqs_queue.deliveries.url
      REGRELAY_SNS_TOPICS     = join(",", var.sns_topic_arns)
      RUST_LOG                = var.log_level
    })
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.fn.name
  }

  depends_on = [aws_iam_role_policy.fn]
}

resource "aws_lambda_function_event_invoke_config" "fn" {
  function_name                = aws_lambda_function.fn.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

# ---------------------------------------------------------------------------
# Function URL (HTTP senders: Alibaba EventBridge HTTP targets, Harbor,
# Distribution, Event Grid webhooks, ...).
# ---------------------------------------------------------------------------
resource "aws_lambda_function_url" "fn" {
  #checkov:skip=CKV_AWS_258:Auth type is a variable (default NONE): Alibaba EventBridge HTTP targets, Event Grid and registry webhooks cannot SigV4-sign, so regrelay authenticates them with REGRELAY_INBOUND_SECRET; set function_url_auth_type = "AWS_IAM" for signing senders.
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = var.function_url_auth_type
}

resource "aws_lambda_permission" "url_public" {
  #checkov:skip=CKV_AWS_301:A webhook receiver must be callable by the sender without AWS credentials; regrelay rejects requests lacking REGRELAY_INBOUND_SECRET. Only created when function_url_auth_type is NONE.
  count                  = var.function_url_auth_type == "NONE" ? 1 : 0
  statement_id           = "FunctionUrlPublicInvoke"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.fn.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

# ---------------------------------------------------------------------------
# EventBridge: ECR image actions and scans, delivered as raw events.
# ---------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "ecr" {
  name          = "${var.name}-ecr"
  description   = "ECR image push/delete and scan results to regrelay"
  event_pattern = jsonencode(merge(local.ecr_pattern_base, local.ecr_pattern_repos))
}

resource "aws_cloudwatch_event_target" "ecr" {
  rule      = aws_cloudwatch_event_rule.ecr.name
  target_id = "regrelay"
  arn       = aws_lambda_function.fn.arn

  retry_policy {
    maximum_retry_attempts       = var.event_max_retry_attempts
    maximum_event_age_in_seconds = var.event_max_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_lambda_permission" "eventbridge" {
  statement_id   = "AllowEcrRule"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.fn.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.ecr.arn
  source_account = data.aws_caller_identity.current.account_id
}

# ---------------------------------------------------------------------------
# Optional: SNS topics (e.g. ones an EventBridge rule in another account publishes ECR events
# to) invoke the function directly; regrelay verifies each message's SNS signature.
# ---------------------------------------------------------------------------
resource "aws_sns_topic_subscription" "topics" {
  for_each  = toset(var.sns_topic_arns)
  topic_arn = each.value
  protocol  = "lambda"
  endpoint  = aws_lambda_function.fn.arn
}

resource "aws_lambda_permission" "sns" {
  for_each       = toset(var.sns_topic_arns)
  statement_id   = "AllowSns${substr(sha256(each.value), 0, 12)}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.fn.function_name
  principal      = "sns.amazonaws.com"
  source_arn     = each.value
  source_account = data.aws_caller_identity.current.account_id
}
