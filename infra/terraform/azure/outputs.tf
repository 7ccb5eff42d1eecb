output "function_app_name" {
  description = "Function App name (target of `az functionapp deployment source config-zip`)."
  value       = azurerm_linux_function_app.app.name
}

output "events_endpoint" {
  description = "Webhook endpoint for Event Grid, Alibaba EventBridge and registry webhooks. Append ?access_token=<secret> or send Authorization: Bearer <secret>."
  value       = "https://${azurerm_linux_function_app.app.default_hostname}/api/events"
}

output "health_endpoint" {
  description = "Health endpoint of the handler."
  value       = "https://${azurerm_linux_function_app.app.default_hostname}/api/health"
}

output "resource_group_name" {
  description = "Resource group holding the app, storage, Key Vault and monitoring."
  value       = azurerm_resource_group.rg.name
}

output "storage_account_name" {
  description = "Storage account (AzureWebJobsStorage, ledger table, dead-letter container)."
  value       = azurerm_storage_account.sa.name
}

output "key_vault_name" {
  description = "Key Vault holding regrelay-inbound-secret and the target secrets."
  value       = azurerm_key_vault.kv.name
}

output "system_topic_name" {
  description = "Event Grid system topic on the registry."
  value       = azurerm_eventgrid_system_topic.acr.name
}

output "event_subscription_names" {
  description = "Event Grid subscriptions created (empty until deploy_subscriptions = true)."
  value       = keys(azurerm_eventgrid_system_topic_event_subscription.sub)
}
