output "function_url" {
  description = "Base URL of the Lambda function URL (ends with a slash)."
  value       = aws_lambda_function_url.fn.function_url
}

output "events_endpoint" {
  description = "Endpoint to give HTTP senders (Alibaba EventBridge HTTP/HTTPS target, Harbor, Distribution). Append ?access_token=<secret> or send Authorization: Bearer <secret>."
  value       = "${trimsuffix(aws_lambda_function_url.fn.function_url, "/")}/api/events"
}

output "function_name" {
  description = "Lambda function name (for aws lambda update-function-code)."
  value       = aws_lambda_function.fn.function_name
}

output "function_arn" {
  description = "Lambda function ARN."
  value       = aws_lambda_function.fn.arn
}

output "ledger_table_name" {
  description = "DynamoDB delivery ledger table (REGRELAY_DYNAMODB_TABLE)."
  value       = aws_dynamodb_table.ledger.name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule matching ECR image actions and scans."
  value       = aws_cloudwatch_event_rule.ecr.arn
}

output "dead_letter_queue_url" {
  description = "SQS queue receiving events that could not be delivered or processed."
  value       = aws_sqs_queue.dlq.url
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.fn.name
}

output "delivery_queue_url" {
  description = "The delivery queue of queued mode."
  value       = aws_sqs_queue.deliveries.url
}

output "delivery_dlq_url" {
  description = "Where delivery messages go after delivery_max_receives failed receives."
  value       = aws_sqs_queue.deliveries_dlq.url
}
