data "azurerm_client_config" "current" {}

data "azurerm_container_registry" "source" {
  name                = var.registry_name
  resource_group_name = var.registry_resource_group_name
}

locals {
  suffix         = substr(md5("${data.azurerm_client_config.current.subscription_id}/${var.resource_group_name}/${var.name_prefix}"), 0, 10)
  base_name      = "${var.name_prefix}-${local.suffix}"
  storage_name   = substr("${var.name_prefix}${local.suffix}", 0, 24)
  vault_name     = substr("${var.name_prefix}-kv-${local.suffix}", 0, 24)
  is_consumption = var.plan_sku == "Y1"

  accepted_secrets = var.additional_inbound_secrets == "" ? var.inbound_secret : "${var.inbound_secret},${var.additional_inbound_secrets}"

  extra_secret_names = nonsensitive(toset(keys(var.extra_secrets)))

  webhook_url = "https://${azurerm_linux_function_app.app.default_hostname}/api/events?access_token=${var.inbound_secret}"
}

resource "azurerm_resource_group" "rg" {
  name     = var.resource_group_name
  location = var.location
  tags     = var.tags
}

# ---------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------
resource "azurerm_log_analytics_workspace" "logs" {
  name                = "${local.base_name}-logs"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  tags                = var.tags
}

resource "azurerm_application_insights" "ai" {
  name                = "${local.base_name}-ai"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  workspace_id        = azurerm_log_analytics_workspace.logs.id
  application_type    = "web"
  tags                = var.tags
}

# ---------------------------------------------------------------------------
# Storage: Functions host state, the ledger table, dead-lettered events.
# ---------------------------------------------------------------------------
resource "azurerm_storage_account" "sa" {
  #checkov:skip=CKV_AZURE_35:A Consumption-plan Function App has no fixed outbound addresses and no VNet integration; a default-deny firewall would cut the Functions host off its own storage.
  #checkov:skip=CKV_AZURE_59:Same reason as CKV_AZURE_35; anonymous blob access is disabled and HTTPS/TLS 1.2 are enforced.
  #checkov:skip=CKV2_AZURE_33:Private endpoints require VNet integration, which the Consumption plan does not offer.
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys with infrastructure (double) encryption; the account holds only transient host state, a ledger and dead-letter blobs.
  #checkov:skip=CKV2_AZURE_40:The Functions host (AzureWebJobsStorage, content share) and regrelay's Table ledger authenticate with the account connection string on the Consumption plan.
  #checkov:skip=CKV_AZURE_43:The name is computed from name_prefix (validated to lowercase letters/digits) and an md5 hex suffix, truncated to 24 characters, which checkov cannot evaluate statically.
  #checkov:skip=CKV_AZURE_33:Queue service is unused by regrelay (HTTP and Event Grid triggers only); queue_properties is deprecated in azurerm 4.
  name                              = local.storage_name
  resource_group_name               = azurerm_resource_group.rg.name
  location                          = azurerm_resource_group.rg.location
  account_tier                      = "Standard"
  account_kind                      = "StorageV2"
  account_replication_type          = var.storage_replication_type
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  allow_nested_items_to_be_public   = false
  cross_tenant_replication_enabled  = false
  infrastructure_encryption_enabled = true
  default_to_oauth_authentication   = true
  public_network_access_enabled     = true
  shared_access_key_enabled         = true
  tags                              = var.tags

  sas_policy {
    expiration_period = "1.00:00:00"
    expiration_action = "Log"
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }

    container_delete_retention_policy {
      days = 7
    }
  }

  network_rules {
    default_action = "Allow"
    bypass         = ["AzureServices"]
  }
}

resource "azurerm_storage_container" "deadletter" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging would need a diagnostic setting per service; dead-letter blobs are written by Event Grid only and read by operators.
  name                  = "deadletter"
  storage_account_id    = azurerm_storage_account.sa.id
  container_access_type = "private"
}

resource "azurerm_storage_table" "ledger" {
  #checkov:skip=CKV2_AZURE_20:Table read logging would need a diagnostic setting per service; the ledger is read only by regrelay itself, whose requests are traced in Application Insights.
  name                 = var.ledger_table_name
  storage_account_name = azurerm_storage_account.sa.name
}

# Queued mode: the delivery queue (the deliver function's queueTrigger) and the
# poison queue the Functions host moves messages to after maxDequeueCount (the
# deadletter function's trigger, which marks the pair dead-lettered in history).
resource "azurerm_storage_queue" "deliveries" {
  name                 = var.delivery_queue_name
  storage_account_name = azurerm_storage_account.sa.name
}

resource "azurerm_storage_queue" "poison" {
  name                 = "${var.delivery_queue_name}-poison"
  storage_account_name = azurerm_storage_account.sa.name
}

# ---------------------------------------------------------------------------
# Key Vault: inbound secret and target secrets, read by the app identity.
# ---------------------------------------------------------------------------
resource "azurerm_key_vault" "kv" {
  #checkov:skip=CKV_AZURE_109:Key Vault references of a Consumption-plan app resolve over the public endpoint (no VNet integration); RBAC limits reads to the app identity.
  #checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109.
  #checkov:skip=CKV2_AZURE_32:Private endpoints require VNet integration, which the Consumption plan does not offer.
  name                       = local.vault_name
  location                   = azurerm_resource_group.rg.location
  resource_group_name        = azurerm_resource_group.rg.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  enable_rbac_authorization  = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
  tags                       = var.tags

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }
}

# The identity running Terraform writes the secrets.
resource "azurerm_role_assignment" "deployer_secrets_officer" {
  scope                = azurerm_key_vault.kv.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "time_rotating" "secret_expiry" {
  rotation_years = var.secret_rotation_years
}

resource "azurerm_key_vault_secret" "inbound" {
  name            = "regrelay-inbound-secret"
  value           = local.accepted_secrets
  key_vault_id    = azurerm_key_vault.kv.id
  content_type    = "text/plain; regrelay inbound shared secret (comma-separated during rotation)"
  expiration_date = time_rotating.secret_expiry.rotation_rfc3339

  depends_on = [azurerm_role_assignment.deployer_secrets_officer]
}

resource "azurerm_key_vault_secret" "extra" {
  for_each        = local.extra_secret_names
  name            = lower(replace(each.key, "_", "-"))
  value           = var.extra_secrets[each.key]
  key_vault_id    = azurerm_key_vault.kv.id
  content_type    = "text/plain; regrelay target secret"
  expiration_date = time_rotating.secret_expiry.rotation_rfc3339

  depends_on = [azurerm_role_assignment.deployer_secrets_officer]
}

# ---------------------------------------------------------------------------
# Function App (Linux, custom handler regrelay-azure).
# ---------------------------------------------------------------------------
resource "azurerm_service_plan" "plan" {
  #checkov:skip=CKV_AZURE_212:The default Y1 Consumption plan scales from zero; a minimum worker count applies to Premium/dedicated plans.
  #checkov:skip=CKV_AZURE_225:The Y1 Consumption plan cannot be zone redundant; Event Grid retries and dead-lettering make delivery durable.
  name                = "${local.base_name}-plan"
  location            = azurerm_resource_group.rg.location
  resource_group_name = azurerm_resource_group.rg.name
  os_type             = "Linux"
  sku_name            = var.plan_sku
  tags                = var.tags
}

resource "azurerm_linux_function_app" "app" {
  #checkov:skip=CKV_AZURE_56:App Service Authentication would reject Event Grid, Alibaba EventBridge and registry webhooks, which cannot obtain Entra tokens; regrelay checks REGRELAY_INBOUND_SECRET on every request.
  #checkov:skip=CKV_AZURE_221:The app is a public webhook receiver: Event Grid webhook delivery and Alibaba EventBridge HTTP targets need a public endpoint.
  name                          = local.base_name
  location                      = azurerm_resource_group.rg.location
  resource_group_name           = azurerm_resource_group.rg.name
  service_plan_id               = azurerm_service_plan.plan.id
  storage_account_name          = azurerm_storage_account.sa.name
  storage_account_access_key    = azurerm_storage_account.sa.primary_access_key
  functions_extension_version   = "~4"
  https_only                    = true
  public_network_access_enabled = true
  client_certificate_enabled    = false
  builtin_logging_enabled       = false
  tags                          = var.tags

  identity {
    type = "SystemAssigned"
  }

  # FUNCTIONS_WORKER_RUNTIME=custom comes from application_stack.use_custom_runtime.
  # CORS is deliberately left unset: the platform CORS layer would answer the
  # CloudEvents OPTIONS handshake itself, without WebHook-Allowed-Origin.
  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    ftps_state                             = "Disabled"
    http2_enabled                          = true
    health_check_path                      = "/api/health"
    health_check_eviction_time_in_min      = 10
    application_insights_connection_string = azurerm_application_insights.ai.connection_string
    elastic_instance_minimum               = local.is_consumption ? null : 1

    application_stack {
      use_custom_runtime = true
    }
  }

  app_settings = merge(
    {
      for name in local.extra_secret_names :
      name => "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.extra[name].versionless_id})"
    },
    {
      REGRELAY_CONFIG         = var.config_path
      REGRELAY_TABLE          = azurerm_storage_table.ledger.name
      REGRELAY_QUEUE          = azurerm_storage_queue.deliveries.name
      REGRELAY_INBOUND_SECRET = "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.inbound.versionless_id})"
      RUST_LOG                = var.log_level
    },
  )

  lifecycle {
    # Zip deployment sets WEBSITE_RUN_FROM_PACKAGE; do not fight it.
    ignore_changes = [app_settings["WEBSITE_RUN_FROM_PACKAGE"]]
  }
}

resource "azurerm_role_assignment" "app_secrets_user" {
  scope                = azurerm_key_vault.kv.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_linux_function_app.app.identity[0].principal_id
}

# ---------------------------------------------------------------------------
# Event Grid: system topic on the registry, subscriptions to regrelay.
# ---------------------------------------------------------------------------
resource "azurerm_eventgrid_system_topic" "acr" {
  name                = "${var.registry_name}-regrelay"
  resource_group_name = var.registry_resource_group_name
  location            = data.azurerm_container_registry.source.location
  source_resource_id  = data.azurerm_container_registry.source.id
  topic_type          = "Microsoft.ContainerRegistry.Registries"
  tags                = var.tags

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "topic_deadletter_writer" {
  scope                = azurerm_storage_account.sa.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.acr.identity[0].principal_id
}

locals {
  subscriptions = var.deploy_subscriptions ? merge(
    {
      regrelay = {
        # Once the connected-registry subscription exists, keep its events out
        # of this one so each event is delivered once.
        is_connected = false
      }
    },
    var.enable_connected_registry_subscription ? {
      regrelay-connected = {
        is_connected = true
      }
    } : {},
  ) : {}
}

resource "azurerm_eventgrid_system_topic_event_subscription" "sub" {
  for_each              = local.subscriptions
  name                  = each.key
  system_topic          = azurerm_eventgrid_system_topic.acr.name
  resource_group_name   = var.registry_resource_group_name
  event_delivery_schema = var.delivery_schema
  included_event_types  = var.included_event_types

  dynamic "webhook_endpoint" {
    for_each = var.destination_kind == "webhook" ? [1] : []
    content {
      url                               = local.webhook_url
      max_events_per_batch              = 1
      preferred_batch_size_in_kilobytes = 64
    }
  }

  dynamic "azure_function_endpoint" {
    for_each = var.destination_kind == "azure_function" ? [1] : []
    content {
      function_id                       = "${azurerm_linux_function_app.app.id}/functions/eventgrid"
      max_events_per_batch              = 1
      preferred_batch_size_in_kilobytes = 64
    }
  }

  advanced_filter {
    dynamic "is_not_null" {
      for_each = each.value.is_connected ? [1] : []
      content {
        key = "data.connectedregistry"
      }
    }

    dynamic "string_in" {
      for_each = each.value.is_connected && length(var.connected_registry_names) > 0 ? [1] : []
      content {
        key    = "data.connectedregistry.name"
        values = var.connected_registry_names
      }
    }

    dynamic "is_null_or_undefined" {
      for_each = !each.value.is_connected && var.enable_connected_registry_subscription ? [1] : []
      content {
        key = "data.connectedregistry"
      }
    }
  }

  retry_policy {
    max_delivery_attempts = var.max_delivery_attempts
    event_time_to_live    = var.event_time_to_live
  }

  # Event Grid drops undeliverable events silently without a dead-letter destination.
  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.sa.id
    storage_blob_container_name = azurerm_storage_container.deadletter.name
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  depends_on = [azurerm_role_assignment.topic_deadletter_writer]
}
