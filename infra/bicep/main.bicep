// regrelay on Azure: storage, monitoring, Key Vault, a Linux Function App running
// the regrelay-azure custom handler, and Event Grid subscriptions on an existing ACR.
//
// Two-phase deployment (see infra/README.md):
//   1. deploySubscriptions=false  -> infrastructure, then publish dist/regrelay-azure.zip
//   2. deploySubscriptions=true   -> Event Grid validates the now running endpoint

@description('Azure region of the Function App and its resources (the system topic always follows the registry region).')
param location string = resourceGroup().location

@description('Short prefix for resource names (3-11 lowercase letters/digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'regrelay'

@description('Name of the existing Azure Container Registry whose events are relayed.')
param registryName string

@description('Resource group of the registry (defaults to this deployment\'s resource group).')
param registryResourceGroup string = resourceGroup().name

@description('Hosting plan SKU of the Function App.')
@allowed([
  'Y1'
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'Y1'

@description('Shared secret senders must present (Event Grid: ?access_token= in the subscription URL).')
@secure()
param inboundSecret string

@description('Further accepted inbound secrets, comma-separated, never put into subscription URLs. Used during rotation (see infra/README.md). Empty otherwise.')
@secure()
param additionalInboundSecrets string = ''

@description('Target secrets: object of APP_SETTING_NAME -> value, referenced from regrelay.toml as ${env:APP_SETTING_NAME}. Stored in Key Vault, exposed as Key Vault references.')
@secure()
param extraSecrets object = {}

@description('Expiry of the Key Vault secrets (Unix time). Defaults to one year after the deployment.')
param secretExpiry int = dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y'))

@description('Create the Event Grid subscriptions. Keep false until the function package is published.')
param deploySubscriptions bool = false

@description('Where Event Grid delivers: webhook (/api/events, regrelay does the handshake) or azureFunction (the eventGridTrigger function).')
@allowed([
  'webhook'
  'azureFunction'
])
param destinationKind string = 'webhook'

@description('Event delivery schema of the subscriptions.')
@allowed([
  'EventGridSchema'
  'CloudEventSchemaV1_0'
])
param deliverySchema string = 'EventGridSchema'

@description('Event types delivered to regrelay.')
param includedEventTypes array = [
  'Microsoft.ContainerRegistry.ImagePushed'
  'Microsoft.ContainerRegistry.ImageDeleted'
]

@description('Also create the connected-registry subscription (advanced filter data.connectedregistry IsNotNull).')
param enableConnectedRegistrySubscription bool = false

@description('Connected registries to relay (data.connectedregistry.name StringIn). Empty = all connected registries.')
param connectedRegistryNames array = []

@description('Event Grid retry policy: maximum delivery attempts (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Event Grid retry policy: event time to live in minutes (1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Ledger table name (REGRELAY_TABLE).')
param ledgerTableName string = 'regrelay'

@description('RUST_LOG filter for the handler.')
param logLevel string = 'info'

@description('Tags applied to every resource.')
param tags object = {
  app: 'regrelay'
}

var suffix = uniqueString(resourceGroup().id, namePrefix)
var baseName = '${namePrefix}-${suffix}'
var storageName = take(toLower('${namePrefix}${suffix}'), 24)
var vaultName = take('${namePrefix}-kv-${suffix}', 24)
var acceptedSecrets = empty(additionalInboundSecrets) ? inboundSecret : '${inboundSecret},${additionalInboundSecrets}'

module monitoring 'modules/monitoring.bicep' = {
  name: 'regrelay-monitoring'
  params: {
    location: location
    baseName: baseName
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'regrelay-storage'
  params: {
    location: location
    name: storageName
    ledgerTableName: ledgerTableName
    tags: tags
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'regrelay-keyvault'
  params: {
    location: location
    name: vaultName
    inboundSecretValue: acceptedSecrets
    extraSecrets: extraSecrets
    secretExpiry: secretExpiry
    tags: tags
  }
}

module app 'modules/functionapp.bicep' = {
  name: 'regrelay-functionapp'
  params: {
    location: location
    name: baseName
    planSku: planSku
    storageAccountName: storage.outputs.name
    ledgerTableName: storage.outputs.ledgerTableName
    deliveryQueueName: storage.outputs.deliveryQueueName
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: vault.outputs.name
    inboundSecretUri: vault.outputs.inboundSecretUri
    extraAppSettings: vault.outputs.extraSecretSettings
    logLevel: logLevel
    tags: tags
  }
}

module topic 'modules/eventgrid-topic.bicep' = {
  name: 'regrelay-eventgrid-topic'
  scope: resourceGroup(registryResourceGroup)
  params: {
    registryName: registryName
    topicName: '${registryName}-regrelay'
    tags: tags
  }
}

module deadLetterAccess 'modules/deadletter-access.bicep' = {
  name: 'regrelay-deadletter-access'
  params: {
    storageAccountName: storage.outputs.name
    principalId: topic.outputs.principalId
  }
}

module subscriptions 'modules/eventgrid-subscriptions.bicep' = if (deploySubscriptions) {
  name: 'regrelay-eventgrid-subscriptions'
  scope: resourceGroup(registryResourceGroup)
  params: {
    topicName: topic.outputs.name
    destinationKind: destinationKind
    webhookUrl: 'https://${app.outputs.defaultHostName}/api/events?access_token=${inboundSecret}'
    functionAppId: app.outputs.id
    deliverySchema: deliverySchema
    includedEventTypes: includedEventTypes
    enableConnectedRegistrySubscription: enableConnectedRegistrySubscription
    connectedRegistryNames: connectedRegistryNames
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    deadLetterStorageAccountId: storage.outputs.id
    deadLetterContainerName: storage.outputs.deadLetterContainerName
  }
  dependsOn: [
    deadLetterAccess
  ]
}

output functionAppName string = app.outputs.name
output eventsEndpoint string = 'https://${app.outputs.defaultHostName}/api/events'
output healthEndpoint string = 'https://${app.outputs.defaultHostName}/api/health'
output storageAccountName string = storage.outputs.name
output deliveryQueueName string = storage.outputs.deliveryQueueName
output keyVaultName string = vault.outputs.name
output systemTopicName string = topic.outputs.name
