// Event subscriptions on the registry's system topic, delivering to regrelay.
// Deploy only after the function code is published: Event Grid validates a
// webhook endpoint (validation event or CloudEvents OPTIONS handshake) when the
// subscription is created.

@description('Name of the existing system topic (in the resource group this module is deployed to).')
param topicName string

@description('webhook: POST to /api/events with the inbound secret in the query string (regrelay answers the validation handshake). azureFunction: deliver to the eventGridTrigger function "eventgrid" (the Functions host does the handshake).')
@allowed([
  'webhook'
  'azureFunction'
])
param destinationKind string = 'webhook'

@description('Full webhook URL including ?access_token=<secret>. Used when destinationKind is webhook.')
@secure()
param webhookUrl string

@description('Resource id of the Function App. Used when destinationKind is azureFunction.')
param functionAppId string

@description('Delivery schema: EventGridSchema or CloudEventSchemaV1_0.')
@allowed([
  'EventGridSchema'
  'CloudEventSchemaV1_0'
])
param deliverySchema string = 'EventGridSchema'

@description('Event types delivered.')
param includedEventTypes array = [
  'Microsoft.ContainerRegistry.ImagePushed'
  'Microsoft.ContainerRegistry.ImageDeleted'
]

@description('Create the subscription for connected-registry events (advanced filter data.connectedregistry IsNotNull).')
param enableConnectedRegistrySubscription bool = false

@description('Restrict the connected-registry subscription to these connected registries (data.connectedregistry.name StringIn). Empty = every connected registry.')
param connectedRegistryNames array = []

@description('Maximum delivery attempts per event (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Event time to live in minutes (1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Resource id of the storage account receiving dead-lettered events.')
param deadLetterStorageAccountId string

@description('Blob container receiving dead-lettered events.')
param deadLetterContainerName string

var webhookDestination = {
  endpointType: 'WebHook'
  properties: {
    endpointUrl: webhookUrl
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}

var functionDestination = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionAppId}/functions/eventgrid'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}

var destination = destinationKind == 'webhook' ? webhookDestination : functionDestination

var retryPolicy = {
  maxDeliveryAttempts: maxDeliveryAttempts
  eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
}

// Event Grid drops undeliverable events silently unless a dead-letter destination is set.
var deadLetter = {
  identity: {
    type: 'SystemAssigned'
  }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: deadLetterStorageAccountId
      blobContainerName: deadLetterContainerName
    }
  }
}

var isConnectedFilter = {
  operatorType: 'IsNotNull'
  key: 'data.connectedregistry'
}

var connectedNameFilter = {
  operatorType: 'StringIn'
  key: 'data.connectedregistry.name'
  values: connectedRegistryNames
}

var connectedFilters = empty(connectedRegistryNames) ? [
  isConnectedFilter
] : [
  isConnectedFilter
  connectedNameFilter
]

// With a connected-registry subscription in place, keep its events out of the
// plain one so that each event is delivered once.
var plainFilters = enableConnectedRegistrySubscription ? [
  {
    operatorType: 'IsNullOrUndefined'
    key: 'data.connectedregistry'
  }
] : []

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: topicName
}

resource plain 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'regrelay'
  properties: {
    destination: destination
    eventDeliverySchema: deliverySchema
    filter: {
      includedEventTypes: includedEventTypes
      advancedFilters: plainFilters
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

resource connected 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (enableConnectedRegistrySubscription) {
  parent: topic
  name: 'regrelay-connected'
  properties: {
    destination: destination
    eventDeliverySchema: deliverySchema
    filter: {
      includedEventTypes: includedEventTypes
      advancedFilters: connectedFilters
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

output plainSubscriptionName string = plain.name
output connectedSubscriptionName string = enableConnectedRegistrySubscription ? connected.name : ''
