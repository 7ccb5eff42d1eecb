// Linux Function App running the regrelay custom handler (binary regrelay-azure).

@description('Azure region.')
param location string

@description('Function App name (becomes <name>.azurewebsites.net).')
param name string

@description('Hosting plan SKU: Y1 (Consumption) or an Elastic Premium SKU such as EP1.')
@allowed([
  'Y1'
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'Y1'

@description('Name of the storage account used for AzureWebJobsStorage and the ledger table.')
param storageAccountName string

@description('Ledger table name (REGRELAY_TABLE).')
param ledgerTableName string

@description('Delivery queue name (REGRELAY_QUEUE); the deliver and deadletter functions are triggered by it and by its poison queue.')
param deliveryQueueName string

@description('Path of the regrelay TOML config relative to the app root (REGRELAY_CONFIG).')
param configPath string = 'regrelay.toml'

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Name of the Key Vault holding the secrets.')
param keyVaultName string

@description('Versionless URI of the inbound secret in Key Vault.')
param inboundSecretUri string

@description('Extra app settings (name/value objects), typically Key Vault references for target secrets.')
param extraAppSettings array = []

@description('RUST_LOG filter for the handler.')
param logLevel string = 'info'

@description('Tags applied to every resource.')
param tags object = {}

// Built-in role "Key Vault Secrets User".
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var isConsumption = planSku == 'Y1'

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: isConsumption ? 'functionapp' : 'elastic'
  sku: {
    name: planSku
    tier: isConsumption ? 'Dynamic' : 'ElasticPremium'
  }
  properties: {
    // checkov:skip=CKV_AZURE_225:The default Y1 Consumption plan cannot be zone redundant; event delivery is made durable by Event Grid retries and dead-lettering instead of idle standby instances.
    reserved: true
  }
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${storage.listKeys().keys[0].value}'

var baseAppSettings = [
  {
    name: 'AzureWebJobsStorage'
    value: storageConnection
  }
  {
    name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
    value: storageConnection
  }
  {
    name: 'WEBSITE_CONTENTSHARE'
    value: toLower(name)
  }
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'custom'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsightsConnectionString
  }
  {
    name: 'REGRELAY_CONFIG'
    value: configPath
  }
  {
    name: 'REGRELAY_TABLE'
    value: ledgerTableName
  }
  {
    name: 'REGRELAY_QUEUE'
    value: deliveryQueueName
  }
  {
    name: 'REGRELAY_INBOUND_SECRET'
    value: '@Microsoft.KeyVault(SecretUri=${inboundSecretUri})'
  }
  {
    name: 'RUST_LOG'
    value: logLevel
  }
]

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_13:App Service Authentication would reject Event Grid, Alibaba EventBridge and registry webhooks, which cannot obtain Entra tokens; regrelay authenticates every request with REGRELAY_INBOUND_SECRET.
    // checkov:skip=CKV_AZURE_222:The app is a public webhook receiver: Event Grid webhook delivery and Alibaba EventBridge HTTP targets need a publicly reachable endpoint.
    // checkov:skip=CKV_AZURE_212:On the Consumption plan the platform scales from zero; a minimum instance count applies to Premium/dedicated plans only.
    // checkov:skip=CKV_AZURE_17:Webhook senders (Event Grid, Alibaba EventBridge, Harbor) cannot present client certificates.
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      // CORS is deliberately not configured: the platform CORS layer would answer the
      // CloudEvents OPTIONS handshake itself, without the WebHook-Allowed-Origin header.
      appSettings: concat(baseAppSettings, extraAppSettings)
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      use32BitWorkerProcess: false
      alwaysOn: false
      healthCheckPath: '/api/health'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, site.id, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: site.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output principalId string = site.identity.principalId
