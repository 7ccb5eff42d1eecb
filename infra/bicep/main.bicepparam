// Example parameters. Copy, adjust, and deploy with:
//   az deployment group create -g <rg> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
// Secrets come from environment variables so they never land in the repository.
using './main.bicep'

param namePrefix = 'regrelay'
param registryName = 'myregistry'
param registryResourceGroup = 'registry-rg'
param planSku = 'Y1'
param inboundSecret = readEnvironmentVariable('REGRELAY_INBOUND_SECRET')
param additionalInboundSecrets = readEnvironmentVariable('REGRELAY_ADDITIONAL_INBOUND_SECRETS', '')
param extraSecrets = {
  DINGTALK_TOKEN: readEnvironmentVariable('DINGTALK_TOKEN', '')
}
param deploySubscriptions = false
param destinationKind = 'webhook'
param deliverySchema = 'EventGridSchema'
param enableConnectedRegistrySubscription = true
param connectedRegistryNames = [
  'myconnectedregistry'
]
param maxDeliveryAttempts = 30
param eventTimeToLiveInMinutes = 1440
