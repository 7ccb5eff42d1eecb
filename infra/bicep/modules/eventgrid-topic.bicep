// Event Grid system topic for an existing Azure Container Registry.
// Deployed into the registry's resource group; the topic lives in the registry's region.

@description('Name of the existing container registry (in the resource group this module is deployed to).')
param registryName string

@description('System topic name.')
param topicName string

@description('Tags applied to every resource.')
param tags object = {}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: registry.location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: registry.id
    topicType: 'Microsoft.ContainerRegistry.Registries'
  }
}

output name string = topic.name
output id string = topic.id
output principalId string = topic.identity.principalId
