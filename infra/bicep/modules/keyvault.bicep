// Key Vault holding regrelay's secrets. The Function App reads them through
// Key Vault references (@Microsoft.KeyVault(SecretUri=...)) with its managed identity.

@description('Azure region.')
param location string

@description('Key Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Value of REGRELAY_INBOUND_SECRET: one secret, or a comma-separated list while rotating.')
@secure()
param inboundSecretValue string

@description('Additional secrets: object of APP_SETTING_NAME -> value. Each becomes a Key Vault secret named after the setting (underscores turned into dashes).')
@secure()
param extraSecrets object = {}

@description('Expiry of the secrets as Unix time (seconds).')
param secretExpiry int

@description('Tags applied to every resource.')
param tags object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // checkov:skip=CKV_AZURE_109:Key Vault references of a Consumption-plan Function App resolve over the public endpoint (no VNet integration, App Service is not a trusted service for the vault firewall); access is restricted by RBAC to the app identity instead.
    // checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109: the Consumption-plan app resolves Key Vault references over the public endpoint; RBAC limits reads to its identity.
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource inboundSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'regrelay-inbound-secret'
  properties: {
    value: inboundSecretValue
    contentType: 'text/plain; regrelay inbound shared secret (comma-separated during rotation)'
    attributes: {
      enabled: true
      exp: secretExpiry
    }
  }
}

resource extra 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for s in items(extraSecrets): {
  parent: vault
  name: toLower(replace(s.key, '_', '-'))
  properties: {
    value: s.value
    contentType: 'text/plain; regrelay target secret'
    attributes: {
      enabled: true
      exp: secretExpiry
    }
  }
}]

output name string = vault.name
output id string = vault.id
output inboundSecretUri string = inboundSecret.properties.secretUri
// Versionless secret URIs: the app picks up a new secret version on its next refresh or restart.
output extraSecretSettings array = [for s in items(extraSecrets): {
  name: s.key
  value: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${toLower(replace(s.key, '_', '-'))}/)'
}]
