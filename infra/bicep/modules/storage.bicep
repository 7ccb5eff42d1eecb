// Storage account used by the Functions host (AzureWebJobsStorage), by regrelay's
// delivery ledger (Table Storage), its delivery queue and poison queue (queued mode), and as
// the Event Grid dead-letter destination.

@description('Azure region.')
param location string

@description('Storage account name (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Table holding the regrelay delivery ledger (app setting REGRELAY_TABLE).')
param ledgerTableName string = 'regrelay'

@description('Queue holding queued deliveries (app setting REGRELAY_QUEUE); the host moves messages it gave up on to <name>-poison.')
param deliveryQueueName string = 'regrelay-deliveries'

@description('Blob container receiving Event Grid dead-lettered events.')
param deadLetterContainerName string = 'deadletter'

@description('Replication of the account, e.g. Standard_LRS or Standard_GRS.')
param skuName string = 'Standard_GRS'

@description('Tags applied to every resource.')
param tags object = {}

resource account 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  kind: 'StorageV2'
  properties: {
    // checkov:skip=CKV_AZURE_35:A Consumption-plan Function App has no fixed outbound addresses and no VNet integration, so a default-deny firewall would cut the Functions host off its own storage.
    // checkov:skip=CKV_AZURE_59:Same reason as CKV_AZURE_35: the Functions host of a Consumption plan reaches its storage over the public endpoint; anonymous blob access is disabled (allowBlobPublicAccess=false) and TLS 1.2 + HTTPS are enforced.
    // checkov:skip=CKV_AZURE_206:Replication is a parameter (default Standard_GRS); the account only holds transient host state, a ledger with TTL semantics and dead-letter blobs.
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-01-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-01-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-01-01' = {
  parent: account
  name: 'default'
}

resource ledgerTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-01-01' = {
  parent: tableService
  name: ledgerTableName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-01-01' = {
  parent: account
  name: 'default'
}

resource deliveryQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-01-01' = {
  parent: queueService
  name: deliveryQueueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-01-01' = {
  parent: queueService
  name: '${deliveryQueueName}-poison'
}

output id string = account.id
output name string = account.name
output deadLetterContainerName string = deadLetterContainer.name
output ledgerTableName string = ledgerTable.name
output deliveryQueueName string = deliveryQueue.name
output poisonQueueName string = poisonQueue.name
